#include "projections/queue/observed_estimator.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

namespace salonq::projections {
namespace {

using namespace salonq::engine;
using std::chrono::milliseconds;

// A ticket in service for longer than expected still has something left: this share of its expected duration.
constexpr std::int64_t overdue_share = ratio_one / 16;

// One on-duty staff member in the simulation: when they are next free, and their speed.
struct server {
    instant free_at{};
    std::int64_t speed = ratio_one;
    std::size_t index = 0; // in view.staff: breaks ties, so the schedule is the same every time
    friend bool operator>(server const& a, server const& b) {
        return std::pair{a.free_at, a.index} > std::pair{b.free_at, b.index};
    }
};

using server_heap = std::priority_queue<server, std::vector<server>, std::greater<>>;

std::int64_t expected_ms(queue_view const& v, ticket_card const& t, std::int64_t speed) {
    return base_duration_ms(v.observed, v.services, t.services, t.duration_min) * speed / ratio_one;
}

instant free_at(queue_view const& v, staff_member const& m, std::int64_t speed) {
    auto const now = v.updated_at;
    auto const changeover = milliseconds{v.observed.changeover_ms};
    if (m.serving) {
        if (auto const* t = v.find_serving(*m.serving)) {
            auto const expected = expected_ms(v, *t, speed);
            auto const left = std::max(t->started_at + milliseconds{expected} - now,
                                       milliseconds{expected * overdue_share / ratio_one});
            return now + left + changeover;
        }
    }
    // Free: at once, unless they have just completed a ticket and are still in their changeover.
    auto const* pace = v.observed.find_staff(m.id);
    return pace != nullptr && pace->freed_at ? std::max(now, *pace->freed_at + changeover) : now;
}

server_heap on_duty(queue_view const& v) {
    server_heap servers;
    for (std::size_t i = 0; i < v.staff.size(); ++i) {
        auto const& m = v.staff[i];
        if (m.on_duty) {
            auto const speed = v.observed.speed_of(m.id);
            servers.push(server{free_at(v, m, speed), speed, i});
        }
    }
    return servers;
}

} // namespace

void observed_estimator::estimate(queue_view& view) const {
    auto servers = on_duty(view);
    auto const now = view.updated_at;
    auto const predicted = [&](instant start) {
        return predicted_start{std::chrono::duration_cast<milliseconds>(start - now).count(), start};
    };
    auto const changeover = view.observed.changeover_ms;
    for (auto& t : view.waiting) {
        if (servers.empty()) {
            t.expected.reset();
            continue;
        }
        auto s = servers.top();
        servers.pop();
        t.expected = predicted(s.free_at);
        auto const stays = stay_chance(view.observed.leaving, now - t.joined_at, s.free_at - now);
        s.free_at += milliseconds{(expected_ms(view, t, s.speed) + changeover) * stays / ratio_one};
        servers.push(s);
    }
    view.join_now = servers.empty() ? std::nullopt : std::optional{predicted(servers.top().free_at)};
}

} // namespace salonq::projections
