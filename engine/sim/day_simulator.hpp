#pragma once

#include "engine/domain/commands.hpp"
#include "engine/domain/events.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace salonq::engine::sim {

struct sim_options {
    std::int32_t salons = 10;
    std::int32_t days = 1;
    std::uint64_t seed = 42;
    std::string salon_prefix = "salon";
    // Scales the hourly arrival rates (1.0 is a busy high-street barber: ~60 walk-ins a day).
    double load = 1.0;
    // First simulated day (UTC midnight of this date, days since 1970-01-01): 2026-11-02.
    local_day first_day = 20759;
    // Stylists per salon, by salon index (cycled); empty: 3, 4, 5 by turn.
    std::vector<std::int32_t> staff_counts;
    // Service times. By default each service takes Normal(catalogue, 20 %). Varied (for the wait predictor's
    // benchmark): each salon has, per service, a lognormal with its own mean (off the catalogue by up to about
    // +-40 %) and spread (sigma 0.2-0.5), per stylist a speed factor (sigma 0.2), and per day a pace (sigma 0.08).
    bool varied_service_times = false;
    // A week's rhythm (for the staffing report and the wait predictor's benchmark): walk-ins scaled by weekday
    // (weekday_load: quiet Mondays, busy Saturdays), closed on Sundays, and every stylist but s1 off one weekday
    // (s2 Monday, s3 Tuesday, s4 Wednesday, s5 Thursday, s6 Monday again...; all hands on Fridays and Saturdays).
    bool weekly = false;
    // The local hour the salons close on Saturdays (19, as on every day, by default): an early Saturday for the
    // wait predictor's benchmark (its usual close per weekday).
    std::int32_t saturday_close_hour = 19;
};

// Walk-ins by weekday with `weekly`, as a factor of the hourly rates, by date's c_encoding (0 = Sunday: closed).
// Their mean over the six open days is 1.0.
inline constexpr std::array<double, 7> weekday_load{0.0, 0.6, 0.8, 0.9, 1.0, 1.2, 1.5};

// The weekday (date's c_encoding, 1 = Monday) stylist `number` (s1 = 1) has off with `weekly`; 0: none (s1).
[[nodiscard]] constexpr unsigned day_off(std::int32_t number) {
    return number < 2 ? 0U : 1U + static_cast<unsigned>(number - 2) % 4U;
}

// What the simulator learns back from executing a command: the entries of its outcome.
using executor = std::function<std::vector<std::vector<log_entry>>(std::vector<command> const&)>;

struct sim_summary {
    std::uint64_t commands = 0;
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;
    std::map<std::string, std::uint64_t> rejections; // by code
    std::map<std::string, std::uint64_t> events;     // by type
    std::uint64_t total_wait_ms = 0;                 // over started services
    std::uint64_t started = 0;
};

// Drives realistic salon days through an executor: salons with time zones, catalogues and staff; walk-ins
// arriving by hour (Poisson, with lunch and after-work peaks); staff shifts; services with noisy durations;
// absent customers skipped and some coming back (undo-skip); seniors and children served by priority;
// impatient customers cancelling; and a close-day that turns the rest into no-shows. Commands of one simulated
// minute across all salons go to the executor as one batch, so a persistent engine can group-commit them.
// Deterministic for a seed: the command stream depends only on the options and the outcomes.
class day_simulator {
public:
    explicit day_simulator(sim_options options);
    ~day_simulator();
    day_simulator(day_simulator const&) = delete;
    day_simulator& operator=(day_simulator const&) = delete;

    sim_summary run(executor const& execute);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::engine::sim
