#pragma once

#include "projections/staffing/demand.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace salonq::projections::staffing {

// How many staff serve in each hour of the week.
using roster = weekly<std::int32_t>;

// One simulated walk-in: when it joins (ms since Monday 00:00 of the first simulated week) and how long its service
// takes.
struct arrival {
    std::int64_t at_ms = 0;
    std::int64_t service_ms = 0;
};

// Simulated weeks of walk-ins drawn from a demand: in each hour a Poisson number of arrivals at that hour's mean
// rate, spread uniformly over the hour, each with a service duration resampled from the salon's own. The draw
// depends only on the demand, the week count and the seed, never on a roster: every roster the planner tries
// faces the same customers (common random numbers), so comparing two rosters compares staffing, not luck.
[[nodiscard]] std::vector<arrival> draw_arrivals(weekly_demand const& demand, std::int32_t weeks, std::uint64_t seed);

// The wait of each arrival (in order; arrivals sorted by time) in a first-come-first-served queue served by
// the roster's staff, hour by hour, the weeks repeating. A service that has begun runs to its end even when its
// hour's roster is smaller. In an hour with nobody on the roster, whoever came in during a staffed hour is still
// served by that hour's staff: a salon finishes the queue of the customers it let in before closing.
[[nodiscard]] std::vector<std::int64_t> simulate_waits(std::span<arrival const> arrivals, roster const& staff);

} // namespace salonq::projections::staffing
