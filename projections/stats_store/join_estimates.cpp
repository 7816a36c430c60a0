#include "projections/stats_store/join_estimates.hpp"

#include "projections/queue/observed_estimator.hpp"

#include <algorithm>

namespace salonq::projections::stats_store {

std::optional<std::int64_t> sum_ahead_ms(queue_view const& view, engine::ticket_id ticket) {
    auto const at = std::ranges::find_if(view.waiting, [&](auto const& t) { return t.id == ticket; });
    if (at == view.waiting.end()) {
        return std::nullopt;
    }
    constexpr std::int64_t ms_per_minute = 60'000;
    std::int64_t ahead = 0;
    for (auto it = view.waiting.begin(); it != at; ++it) {
        ahead += std::int64_t{it->duration_min} * ms_per_minute;
    }
    for (auto const& t : view.serving) {
        ahead += std::max<std::int64_t>(0, (t.expected_end - view.updated_at).count());
    }
    return ahead;
}

namespace {

// The join-time estimate of the ticket `issued` that the queue views posted, folded into the view with it; false if
// none was posted (the event is not folded then).
bool apply_posted(queue_view& view, engine::event const& e, engine::evt::ticket_issued const& issued,
                  join_board& told) {
    auto const posted = told.take(e.salon, e.seq.value());
    if (!posted) {
        return false;
    }
    apply(view, e);
    // The chain of walk-ins moves on as the views' did, so that an estimate worked out here later in it is theirs.
    (void)continue_chain(view, issued.ticket);
    auto const t = std::ranges::find_if(view.waiting, [&](auto const& w) { return w.id == issued.ticket; });
    if (t != view.waiting.end()) {
        t->join_wait = *posted;
    }
    return true;
}

// The predictor's starts, which nothing here reads: dropped, so that the view stored is the same whether a join-time
// estimate was worked out or taken.
void forget_estimates(queue_view& view) {
    for (auto& t : view.waiting) {
        t.expected.reset();
    }
    view.join_now.reset();
}

} // namespace

void apply_with_estimates(stats::salon_history& history, queue_view& view, engine::event const& e, join_board* told) {
    static observed_estimator const predictor;
    if (view.salon.value().empty()) {
        view.salon = e.salon;
    }
    auto const* issued = std::get_if<engine::evt::ticket_issued>(&e.body);
    if (issued == nullptr || told == nullptr || !apply_posted(view, e, *issued, *told)) {
        apply_and_record_join(view, e, predictor);
        if (issued != nullptr) {
            forget_estimates(view);
        }
    }
    view.recently_ended.clear();
    history.apply(e);
    if (issued != nullptr) {
        auto const* t = view.find_waiting(issued->ticket);
        if (t != nullptr && t->join_wait) {
            auto const& at_join = *t->join_wait;
            history.record_join_estimate(issued->ticket,
                                         stats::join_estimate{at_join.wait_ms, at_join.low_ms, at_join.high_ms,
                                                              sum_ahead_ms(view, issued->ticket), at_join.today_pct});
        }
    }
}

} // namespace salonq::projections::stats_store
