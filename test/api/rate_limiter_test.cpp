// The token buckets behind 429: a burst, then the rate; keys apart; idle keys forgotten.

#include "api/http/rate_limiter.hpp"

#include <doctest/doctest.h>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace rate_limiter_test {

using salonq::api::http::rate_limiter;
using namespace std::chrono_literals;

TEST_CASE("rate limiter: a burst passes, then one request per 1/rate, and Retry-After says when") {
    rate_limiter limit{2.0, 3.0}; // 2 a second, 3 at once
    auto const t0 = rate_limiter::clock::time_point{} + 100s;
    CHECK_FALSE(limit.take("a", t0));
    CHECK_FALSE(limit.take("a", t0));
    CHECK_FALSE(limit.take("a", t0));
    auto const wait = limit.take("a", t0);
    REQUIRE(wait);
    CHECK(*wait == 500ms);
    CHECK_FALSE(limit.take("b", t0)); // another key has its own bucket
    CHECK(limit.take("a", t0 + 499ms));
    CHECK_FALSE(limit.take("a", t0 + 1000ms)); // the one refilled after 500 ms (the 499 ms try took nothing)
}

TEST_CASE("rate limiter: a rate of zero is off; idle keys are dropped") {
    rate_limiter off{0, 1};
    for (int i = 0; i < 1000; ++i) {
        REQUIRE_FALSE(off.take("a", rate_limiter::clock::time_point{}));
    }
    rate_limiter limit{10.0, 10.0};
    auto const t0 = rate_limiter::clock::time_point{} + 100s;
    for (int i = 0; i < 100; ++i) {
        (void)limit.take("k" + std::to_string(i), t0);
    }
    CHECK(limit.tracked_keys() == 100);
    // A bucket full again (after 1 s here) is forgotten by its shard's next sweep: 200 new keys touch every shard.
    for (int i = 0; i < 200; ++i) {
        (void)limit.take("late" + std::to_string(i), t0 + 5s);
    }
    CHECK(limit.tracked_keys() == 200);
}

} // namespace rate_limiter_test
