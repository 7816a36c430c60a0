#pragma once

#include <chrono>
#include <cstdint>

namespace salonq::engine {

// A point in UTC time with millisecond resolution. Time enters the domain with each command (stamped by the
// runtime when it receives the command); decide and evolve never read a clock.
using instant = std::chrono::sys_time<std::chrono::milliseconds>;

[[nodiscard]] inline std::int64_t to_unix_ms(instant t) noexcept { return t.time_since_epoch().count(); }
[[nodiscard]] inline instant from_unix_ms(std::int64_t ms) noexcept { return instant{std::chrono::milliseconds{ms}}; }
// The system clock now, as an instant: what the runtimes (never decide or evolve) stamp commands with.
[[nodiscard]] inline instant wall_now() noexcept {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// Days since 1970-01-01 of a calendar date in some time zone (the salon's local day).
using local_day = std::int32_t;

} // namespace salonq::engine
