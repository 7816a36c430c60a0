#pragma once

#include "engine/domain/time.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace salonq::engine {

// Calendar arithmetic in a salon's IANA time zone, from the system tz database (Howard Hinnant's date/tz).
// A pure function of its inputs and the installed tzdata; zones are looked up once and cached.
[[nodiscard]] bool is_known_timezone(std::string_view name) noexcept;
// The salon-local calendar day containing `t`, as days since 1970-01-01. Unknown zones count as UTC.
[[nodiscard]] local_day local_day_of(std::string_view timezone, instant t) noexcept;

// The salon-local day and time of day (minutes since local midnight, 0 to 1439) of `t`. Unknown zones count as UTC.
struct local_clock {
    local_day day = 0;
    std::int32_t minute = 0;
    friend bool operator==(local_clock const&, local_clock const&) = default;
};
[[nodiscard]] local_clock local_clock_of(std::string_view timezone, instant t) noexcept;

// The weekday of a local day, Monday = 0. 1970-01-01 was a Thursday (3); ((x % 7) + 7) % 7 keeps days before 1970
// in range.
[[nodiscard]] constexpr std::size_t weekday_of(local_day day) noexcept {
    return static_cast<std::size_t>((((day + 3) % 7) + 7) % 7);
}

} // namespace salonq::engine
