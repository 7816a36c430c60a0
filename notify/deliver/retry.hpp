#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace salonq::notify {

// When to try a failed delivery again: exponential backoff (base, doubling, up to cap) with "equal jitter" (half
// the delay fixed, half random), so a receiver that comes back is not hit by every queued delivery at once; after
// max_attempts the delivery is dead (kept as a dead letter, listable and re-drivable).
struct retry_policy {
    std::chrono::milliseconds base{1000};
    std::chrono::milliseconds cap{std::chrono::minutes{10}};
    std::uint32_t max_attempts = 8;

    // The wait after the attempt-th failed attempt (1-based), given a random number in [0, 1); none: dead.
    [[nodiscard]] std::optional<std::chrono::milliseconds> after_failure(std::uint32_t attempt,
                                                                         double random01) const noexcept;
};

} // namespace salonq::notify
