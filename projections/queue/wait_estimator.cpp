#include "projections/queue/wait_estimator.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <queue>
#include <vector>

namespace salonq::projections {

void list_schedule_estimator::estimate(queue_view& view) const {
    using engine::instant;
    auto const now = view.updated_at;
    // When each on-duty staff member is next free: a min-heap of times.
    std::priority_queue<instant, std::vector<instant>, std::greater<>> free_at;
    for (auto const& m : view.staff) {
        if (!m.on_duty) {
            continue;
        }
        auto at = now;
        if (m.serving) {
            if (auto const* t = view.find_serving(*m.serving)) {
                at = std::max(now, t->expected_end);
            }
        }
        free_at.push(at);
    }
    auto const predicted = [&](instant start) {
        auto const wait = std::chrono::duration_cast<std::chrono::milliseconds>(start - now).count();
        return predicted_start{wait, start, wait, wait};
    };
    for (auto& t : view.waiting) {
        if (free_at.empty()) {
            t.expected.reset();
            continue;
        }
        auto const start = free_at.top();
        free_at.pop();
        t.expected = predicted(start);
        free_at.push(start + std::chrono::minutes{t.duration_min});
    }
    view.join_now = free_at.empty() ? std::nullopt : std::optional{predicted(free_at.top())};
}

void apply_and_record_join(queue_view& view, engine::event const& e, wait_estimator const& estimator) {
    apply(view, e);
    auto const* issued = std::get_if<engine::evt::ticket_issued>(&e.body);
    if (issued == nullptr) {
        return;
    }
    estimator.estimate_walk_in(view, continue_chain(view, issued->ticket));
    auto it = std::find_if(view.waiting.begin(), view.waiting.end(),
                           [&](waiting_ticket const& t) { return t.id == issued->ticket; });
    if (it != view.waiting.end()) {
        it->join_wait = it->expected.transform([](predicted_start const& p) {
            return told_wait{p.wait_ms, p.low_ms, p.high_ms, p.today_pct};
        });
    }
}

} // namespace salonq::projections
