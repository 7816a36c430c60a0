#include "projections/staffing/week_sim.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <random>

namespace salonq::projections::staffing {
namespace {

std::size_t hour_at(std::int64_t t_ms) noexcept {
    return static_cast<std::size_t>(t_ms / ms_per_hour) % hours_per_week;
}

// The servers busy now, as the times they finish.
class servers {
public:
    void release_until(std::int64_t t) {
        while (!finishes_.empty() && finishes_.top() <= t) {
            finishes_.pop();
        }
    }
    [[nodiscard]] std::size_t busy() const noexcept { return finishes_.size(); }
    [[nodiscard]] std::int64_t next_finish() const noexcept { return finishes_.top(); }
    void occupy(std::int64_t until) { finishes_.push(until); }

private:
    std::priority_queue<std::int64_t, std::vector<std::int64_t>, std::greater<>> finishes_;
};

// The staff serving at time t for a customer who joined at `joined`.
std::size_t serving(roster const& staff, std::int64_t t, std::int64_t joined) {
    auto const now = staff.at(hour_at(t));
    return static_cast<std::size_t>(now > 0 ? now : staff.at(hour_at(joined)));
}

// When the customer joining at `joined`, not before `earliest`, starts.
std::int64_t start_of(servers& busy, roster const& staff, std::int64_t joined, std::int64_t earliest) {
    auto t = std::max(joined, earliest);
    for (;;) {
        busy.release_until(t);
        if (busy.busy() < serving(staff, t, joined)) {
            return t;
        }
        auto const next_hour = ((t / ms_per_hour) + 1) * ms_per_hour;
        t = busy.busy() > 0 ? std::min(busy.next_finish(), next_hour) : next_hour;
    }
}

} // namespace

std::vector<arrival> draw_arrivals(weekly_demand const& demand, std::int32_t weeks, std::uint64_t seed) {
    std::vector<arrival> out;
    if (demand.service_ms.empty()) {
        return out;
    }
    std::mt19937_64 random{seed};
    std::uniform_int_distribution<std::size_t> pick{0, demand.service_ms.size() - 1};
    std::uniform_int_distribution<std::int64_t> within{0, ms_per_hour - 1};
    for (std::int64_t hour = 0; hour < std::int64_t{weeks} * std::int64_t{hours_per_week}; ++hour) {
        auto const rate = demand.arrivals_per_hour.at(static_cast<std::size_t>(hour) % hours_per_week);
        if (rate <= 0) {
            continue;
        }
        auto const n = std::poisson_distribution<std::int32_t>{rate}(random);
        auto const first = out.size();
        for (std::int32_t i = 0; i < n; ++i) {
            out.push_back({(hour * ms_per_hour) + within(random), demand.service_ms.at(pick(random))});
        }
        std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                  [](arrival const& a, arrival const& b) { return a.at_ms < b.at_ms; });
    }
    return out;
}

std::vector<std::int64_t> simulate_waits(std::span<arrival const> arrivals, roster const& staff) {
    std::vector<std::int64_t> waits;
    waits.reserve(arrivals.size());
    if (std::ranges::none_of(staff, [](std::int32_t n) { return n > 0; })) {
        waits.assign(arrivals.size(), std::numeric_limits<std::int64_t>::max());
        return waits;
    }
    servers busy;
    std::int64_t last_start = 0; // first come, first served: nobody starts before whoever joined earlier
    for (auto const& a : arrivals) {
        last_start = start_of(busy, staff, a.at_ms, last_start);
        busy.occupy(last_start + a.service_ms);
        waits.push_back(last_start - a.at_ms);
    }
    return waits;
}

} // namespace salonq::projections::staffing
