#include "api/http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace salonq::api::http {

rate_limiter::rate_limiter(double rate_per_second, double burst)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)) {}

std::optional<std::chrono::milliseconds> rate_limiter::take(std::string_view key, clock::time_point now) {
    if (rate_ <= 0) {
        return std::nullopt;
    }
    auto& s = shards_[std::hash<std::string_view>{}(key) % shards_.size()];
    std::lock_guard lock(s.mutex);
    sweep(s, now);
    auto [it, fresh] = s.buckets.try_emplace(std::string{key}, bucket{burst_, now});
    auto& b = it->second;
    if (!fresh) {
        auto const elapsed = std::chrono::duration<double>(now - b.updated).count();
        b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
        b.updated = now;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    auto const wait_s = (1.0 - b.tokens) / rate_;
    return std::chrono::milliseconds{static_cast<std::int64_t>(std::ceil(wait_s * 1000.0))};
}

// Once a second per shard: a bucket that would be full by now is the same as no bucket.
void rate_limiter::sweep(shard& s, clock::time_point now) const {
    if (now - s.last_sweep < std::chrono::seconds{1}) {
        return;
    }
    s.last_sweep = now;
    auto const refill = std::chrono::duration<double>(burst_ / rate_);
    std::erase_if(s.buckets, [&](auto const& kv) { return now - kv.second.updated > refill; });
}

std::size_t rate_limiter::tracked_keys() const {
    std::size_t n = 0;
    for (auto const& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.buckets.size();
    }
    return n;
}

} // namespace salonq::api::http
