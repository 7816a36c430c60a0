#pragma once

// Token buckets by key (a client address, a token's id): each key may make `burst` requests at once and `rate`
// a second after that; past it the answer is 429 with Retry-After. Thread-safe (sharded locks); keys idle long
// enough to be full again are dropped, so memory follows the active clients, not every client ever seen.

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace salonq::api::http {

class rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    // rate <= 0 turns the limiter off (every request passes).
    rate_limiter(double rate_per_second, double burst);

    // Takes one token from key's bucket; none if it had one, else how long until it will.
    [[nodiscard]] std::optional<std::chrono::milliseconds> take(std::string_view key, clock::time_point now);
    [[nodiscard]] std::size_t tracked_keys() const;

private:
    struct bucket {
        double tokens = 0;
        clock::time_point updated{};
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, bucket> buckets;
        clock::time_point last_sweep{};
    };
    void sweep(shard& s, clock::time_point now) const;

    double rate_;
    double burst_;
    std::array<shard, 16> shards_;
};

} // namespace salonq::api::http
