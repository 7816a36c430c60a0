#pragma once

#include "projections/stats/history.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace salonq::projections::staffing {

// The hours of a week, Monday 00:00 (local) being hour 0.
inline constexpr std::size_t hours_per_week = 168;
inline constexpr std::int64_t ms_per_hour = 3'600'000;
template <class T>
using weekly = std::array<T, hours_per_week>;

[[nodiscard]] std::size_t hour_of_week(engine::local_clock c) noexcept;
[[nodiscard]] std::string_view weekday_name(std::size_t hour_of_week) noexcept;

// What a salon's history says its customers ask of it in a typical week, the input of the staffing planner: the
// mean number of walk-ins joining in each hour of the week (over every such hour the history spans, closed days
// counting as none), the service durations the salon actually took (resampled by the simulation, so their shape,
// not only their mean, shapes the waits), and the waits customers actually had (to show beside the advice).
struct weekly_demand {
    weekly<double> arrivals_per_hour{};
    weekly<std::uint32_t> weeks_seen{}; // how many times the history spans that hour of the week
    std::vector<std::int64_t> service_ms;
    weekly<std::vector<std::int64_t>> observed_wait_ms{};
    weekly<double> observed_staff{}; // the mean number on duty (ended shifts on the chosen days)
    std::uint32_t visits = 0;
    [[nodiscard]] bool empty() const noexcept { return visits == 0 || service_ms.empty(); }
    [[nodiscard]] double mean_service_ms() const noexcept;
};

// The local days whose visits the demand is learned from: [first, last], each bound optional.
struct learning_days {
    std::optional<engine::local_day> first;
    std::optional<engine::local_day> last;
};

// The demand of the visits that joined on the chosen days (each bound given counts as a day of the span even if
// quiet; without bounds, the first to the last visit). Service durations are the served visits' own; a salon that
// served nobody yet falls back on its catalogue's planned durations.
[[nodiscard]] weekly_demand demand_of(stats::salon_history const& h, learning_days days = {});

} // namespace salonq::projections::staffing
