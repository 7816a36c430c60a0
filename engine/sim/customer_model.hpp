#pragma once

#include "engine/domain/values.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace salonq::engine::sim {

// The customers and services of a simulated salon: the distributions `salonq simulate` (day_simulator) and the
// HTTP traffic driver (`salonq traffic`) both draw from, so the two tell the same story. Pure functions of a
// random engine; the call order is part of each function's contract (a seed gives the same stream).
using random_engine = std::mt19937_64;

// Walk-ins per hour by local hour (index 0 = 09:00), for load 1.0: a busy high-street barber, ~60 a day.
inline constexpr std::array<double, 10> hourly_rate{3, 5, 6, 8, 7, 5, 5, 6, 8, 7};

// The catalogue of a simulated salon: haircut, beard trim, shave, colour, kids cut (code, name, price, minutes).
[[nodiscard]] std::vector<service_def> standard_catalogue();

// The n-th customer: a first name and an initial; a phone 70 % of the time, a loyalty id (cust-N) 10 %.
[[nodiscard]] customer draw_customer(random_engine& rng, std::uint64_t n);

// One service of the standard catalogue, and 25 % of the time a second, different one of the first three.
[[nodiscard]] std::vector<std::string> draw_services(random_engine& rng);

// How a customer behaves in the queue: absent when called 4 % (then skipped), wants a priority start 3 %
// (a senior or a child), leaves after 30-60 minutes of waiting 15 %.
struct customer_traits {
    bool absent = false;
    bool wants_priority = false;
    std::optional<std::chrono::minutes> patience;
};
[[nodiscard]] customer_traits draw_traits(random_engine& rng);

// A skipped customer comes back (undo-skip) 60 % of the time, 5-20 minutes later; otherwise never.
[[nodiscard]] std::optional<std::chrono::minutes> draw_comeback(random_engine& rng);

// How long a service planned for `planned_min` minutes takes: Normal(planned, 20 %), planned at least 5 and the
// result at least 3 minutes.
[[nodiscard]] double service_minutes(random_engine& rng, std::int32_t planned_min);

// A priority start's reason for a ticket (the fixed set the engine accepts, less system_exception).
[[nodiscard]] char const* priority_reason(std::uint64_t ticket);

} // namespace salonq::engine::sim
