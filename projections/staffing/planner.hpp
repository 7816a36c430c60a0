#pragma once

#include "projections/staffing/week_sim.hpp"

#include <cstdint>
#include <optional>

namespace salonq::projections::staffing {

struct plan_options {
    std::int64_t target_p90_ms = std::int64_t{15} * 60'000; // the p90 wait no hour may exceed
    std::int32_t weeks = 26;                  // simulated weeks per roster tried
    std::uint64_t seed = 20261129;            // the simulated customers' draw: the same advice for the same history
    std::int32_t max_staff = 40;              // per hour; an hour that would need more is reported as not met
};

// One hour of the advice: the staff it needs and the waits the simulation gives with them.
struct hour_advice {
    std::int32_t staff = 0;
    std::uint32_t simulated = 0; // walk-ins of that hour in the simulated weeks
    std::optional<std::int64_t> wait_p50_ms;
    std::optional<std::int64_t> wait_p90_ms;
    bool meets_target = true;
};

struct staffing_advice {
    weekly<hour_advice> hours{};
    std::uint32_t rosters_tried = 0;
};

// The fewest staff per hour of the week that keep every hour's simulated p90 wait within the target. Starts from
// the offered load (arrivals x mean service, at least one where anyone comes), adds one person at a time where the
// target is missed by most, then takes one away wherever the target still holds without them. Waits only grow
// when staff are taken away, so the result is minimal: one fewer in any hour misses the target somewhere.
// docs/staffing.md explains the model and its limits.
[[nodiscard]] staffing_advice plan_staffing(weekly_demand const& demand, plan_options const& options = {});

// The waits a roster gives: p50/p90 per hour of the week of the simulated arrivals joining in it.
[[nodiscard]] weekly<hour_advice> evaluate(std::span<arrival const> arrivals, roster const& staff,
                                           std::int64_t target_p90_ms);

} // namespace salonq::projections::staffing
