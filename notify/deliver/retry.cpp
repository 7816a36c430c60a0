#include "notify/deliver/retry.hpp"

#include <algorithm>

namespace salonq::notify {

std::optional<std::chrono::milliseconds> retry_policy::after_failure(std::uint32_t attempt,
                                                                     double random01) const noexcept {
    if (attempt >= max_attempts) {
        return std::nullopt;
    }
    auto delay = base;
    for (std::uint32_t i = 1; i < attempt && delay < cap; ++i) {
        delay *= 2;
    }
    delay = std::min(delay, cap);
    auto const half = delay / 2;
    auto const jitter = std::chrono::milliseconds{
        static_cast<std::int64_t>(static_cast<double>(half.count()) * std::clamp(random01, 0.0, 1.0))};
    return delay - half + jitter;
}

} // namespace salonq::notify
