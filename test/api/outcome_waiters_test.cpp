// Kafka mode's waiters for commands' outcomes: two submits of one commandId both hear it, other keys are left
// waiting, and a waiter past its deadline is handed back to be failed.

#include "api/gateway/outcome_waiters.hpp"

#include <doctest/doctest.h>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace outcome_waiters_test {

namespace {

using salonq::api::command_gateway;
using salonq::api::outcome_waiters;
using namespace std::chrono_literals;

command_gateway::completion counting(int& calls) {
    return [&calls](auto const&) { ++calls; };
}

} // namespace

TEST_CASE("outcome_waiters: a key's waiters are taken together; expiry hands back only the late ones") {
    outcome_waiters w;
    auto const now = outcome_waiters::clock::now();
    auto const a = outcome_waiters::key(salonq::engine::salon_id{"s1"}, salonq::engine::command_id{"c1"});
    auto const b = outcome_waiters::key(salonq::engine::salon_id{"s1c"}, salonq::engine::command_id{"1"});
    CHECK(a != b); // salon and commandId are kept apart
    int calls = 0;
    w.add(a, counting(calls), now + 10s);
    w.add(a, counting(calls), now + 10s);
    w.add(b, counting(calls), now + 1s);
    CHECK(w.waiting(a));
    auto taken = w.take(a);
    REQUIRE(taken.size() == 2);
    for (auto const& done : taken) {
        done(std::unexpected(salonq::api::gateway_error{true, "test"}));
    }
    CHECK(calls == 2);
    CHECK_FALSE(w.waiting(a));
    CHECK(w.take(a).empty());
    CHECK(w.expire(now).empty());
    CHECK(w.expire(now + 2s).size() == 1);
    CHECK(w.empty());
}

} // namespace outcome_waiters_test
