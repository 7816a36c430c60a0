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

void apply_with_estimates(stats::salon_history& history, queue_view& view, engine::event const& e) {
    static observed_estimator const predictor;
    if (view.salon.value().empty()) {
        view.salon = e.salon;
    }
    apply_and_record_join(view, e, predictor);
    view.recently_ended.clear();
    history.apply(e);
    if (auto const* issued = std::get_if<engine::evt::ticket_issued>(&e.body)) {
        auto const* t = view.find_waiting(issued->ticket);
        if (t != nullptr && t->join_wait_ms) {
            history.record_join_estimate(issued->ticket, t->join_wait_ms, sum_ahead_ms(view, issued->ticket));
        }
    }
}

} // namespace salonq::projections::stats_store
