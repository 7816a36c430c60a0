#include "projections/staffing/planner.hpp"

#include "projections/stats/summary.hpp"

#include <algorithm>
#include <cmath>

namespace salonq::projections::staffing {
namespace {

// Whether `after` is no worse than `before`: every hour that met the target still does, and no hour that missed
// it waits longer at p90 (when some hour cannot be met at all, the others are still made minimal).
bool no_worse(weekly<hour_advice> const& before, weekly<hour_advice> const& after) {
    for (std::size_t h = 0; h < hours_per_week; ++h) {
        auto const& b = before.at(h);
        auto const& a = after.at(h);
        if (b.meets_target ? !a.meets_target : a.wait_p90_ms > b.wait_p90_ms) {
            return false;
        }
    }
    return true;
}

// Enough staff to carry the hour's offered load, one at least where anyone comes.
roster offered_load(weekly_demand const& demand, std::int32_t max_staff) {
    roster r{};
    auto const service_hours = demand.mean_service_ms() / ms_per_hour;
    for (std::size_t h = 0; h < hours_per_week; ++h) {
        auto const load = demand.arrivals_per_hour.at(h) * service_hours;
        if (demand.arrivals_per_hour.at(h) > 0) {
            r.at(h) = std::clamp(static_cast<std::int32_t>(std::ceil(load)), 1, max_staff);
        }
    }
    return r;
}

// The hour missing the target by most that may still get someone, if any.
std::optional<std::size_t> worst_hour(weekly<hour_advice> const& hours, roster const& staff, std::int32_t max_staff) {
    std::optional<std::size_t> worst;
    for (std::size_t h = 0; h < hours_per_week; ++h) {
        if (hours.at(h).meets_target || staff.at(h) >= max_staff) {
            continue;
        }
        if (!worst || hours.at(h).wait_p90_ms > hours.at(*worst).wait_p90_ms) {
            worst = h;
        }
    }
    return worst;
}

} // namespace

weekly<hour_advice> evaluate(std::span<arrival const> arrivals, roster const& staff, std::int64_t target_p90_ms) {
    auto const waits = simulate_waits(arrivals, staff);
    weekly<std::vector<std::int64_t>> by_hour{};
    for (std::size_t i = 0; i < arrivals.size(); ++i) {
        by_hour.at(static_cast<std::size_t>(arrivals[i].at_ms / ms_per_hour) % hours_per_week).push_back(waits[i]);
    }
    weekly<hour_advice> out{};
    for (std::size_t h = 0; h < hours_per_week; ++h) {
        auto& a = out.at(h);
        a.staff = staff.at(h);
        a.simulated = static_cast<std::uint32_t>(by_hour.at(h).size());
        auto const p = stats::percentiles_of(std::move(by_hour.at(h)));
        a.wait_p50_ms = p.p50;
        a.wait_p90_ms = p.p90;
        a.meets_target = !p.p90 || *p.p90 <= target_p90_ms;
    }
    return out;
}

staffing_advice plan_staffing(weekly_demand const& demand, plan_options const& options) {
    staffing_advice advice;
    if (demand.empty()) {
        return advice;
    }
    auto const arrivals = draw_arrivals(demand, options.weeks, options.seed);
    auto staff = offered_load(demand, options.max_staff);
    auto try_roster = [&] {
        ++advice.rosters_tried;
        return evaluate(arrivals, staff, options.target_p90_ms);
    };
    auto hours = try_roster();
    while (auto const h = worst_hour(hours, staff, options.max_staff)) { // add where the target is missed most
        ++staff.at(*h);
        hours = try_roster();
    }
    for (std::size_t h = 0; h < hours_per_week; ++h) { // then take away whoever is not needed
        auto const least = demand.arrivals_per_hour.at(h) > 0 ? 1 : 0;
        while (staff.at(h) > least) {
            --staff.at(h);
            auto fewer = try_roster();
            if (!no_worse(hours, fewer)) {
                ++staff.at(h);
                break;
            }
            hours = fewer;
        }
    }
    advice.hours = hours;
    return advice;
}

} // namespace salonq::projections::staffing
