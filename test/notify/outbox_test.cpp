// notify::outbox, the pending deliveries in memory: each salon's first in the order senders take them (due, then the
// event's seq, then the id), kept as deliveries come, are retried and go; and notify_store's take_due / next_due
// over a large outbox with one of its deliveries in flight.

#include "notify/store/outbox.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <string>
#include <vector>

namespace salonq::test {
namespace {

using namespace salonq::notify;
using engine::salon_id;
using std::chrono::milliseconds;
using std::chrono::seconds;

auto const t0 = engine::instant{milliseconds{1'700'000'000'000}};

delivery due_at(std::string salon, std::uint64_t seq, engine::instant due) {
    auto id = fmt::format("{}:{}:called:{}", salon, seq, seq);
    return delivery{std::move(id), salon_id{std::move(salon)}, "{}", 0, due, {}};
}

std::vector<std::string> firsts(outbox const& o) {
    std::vector<std::string> out;
    o.firsts_in_order([&](delivery const& d) {
        out.push_back(d.id);
        return true;
    });
    return out;
}

} // namespace

TEST_CASE("notify outbox: each salon's first, due first, then the event's seq as a number; kept through retries") {
    outbox o;
    o.put(due_at("s1", 10, t0));
    o.put(due_at("s1", 9, t0));
    o.put(due_at("s2", 3, t0 + seconds{1}));
    o.put(due_at("s3", 1, t0 + seconds{2}));
    CHECK(firsts(o) == std::vector<std::string>{"s1:9:called:9", "s2:3:called:3", "s3:1:called:1"});
    o.put(due_at("s2", 2, t0)); // due now, before s2's first: s2's new first, and ahead of s1's (seq 2 < 9)
    CHECK(firsts(o) == std::vector<std::string>{"s2:2:called:2", "s1:9:called:9", "s3:1:called:1"});
    CHECK(o.size() == 5);
    CHECK(o.count(salon_id{"s1"}) == 2);

    auto retry = *o.find("s1:9:called:9");
    retry.due = t0 + seconds{5};
    ++retry.attempts;
    o.put(retry); // replaces it, and s1's next becomes its first
    CHECK(firsts(o) == std::vector<std::string>{"s2:2:called:2", "s1:10:called:10", "s3:1:called:1"});
    CHECK(o.size() == 5);
    CHECK(o.find("s1:9:called:9")->attempts == 1);

    o.erase("s1:10:called:10"); // a first goes: the salon's next is its first
    CHECK(firsts(o) == std::vector<std::string>{"s2:2:called:2", "s3:1:called:1", "s1:9:called:9"});
    o.erase("s2:3:called:3"); // not a first
    o.erase("s2:2:called:2");
    o.erase("no-such-id");
    CHECK(firsts(o) == std::vector<std::string>{"s3:1:called:1", "s1:9:called:9"});
    CHECK(o.count(salon_id{"s2"}) == 0);
    CHECK_FALSE(o.contains("s2:3:called:3"));

    std::size_t visited = 0; // a visit returning false stops the walk
    o.firsts_in_order([&](delivery const&) { return ++visited < 1; });
    CHECK(visited == 1);
}

TEST_CASE("notify: a dead receiver's thousands of retries do not hold back another salon's delivery due now") {
    temp_dir dir;
    auto store = notify_store::open(dir / "notify", 4);
    REQUIRE(store);
    std::vector<delivery> queued;
    for (std::uint64_t seq = 1; seq <= 5'000; ++seq) {
        queued.push_back(due_at("dead", seq, t0 + seconds{60} + milliseconds{seq}));
    }
    queued.push_back(due_at("live", 7, t0));
    queued.push_back(due_at("live", 8, t0 + seconds{1}));
    REQUIRE((*store)->take_in(queued, {{0, static_cast<std::int64_t>(queued.size())}}));
    CHECK((*store)->pending() == 5'002);
    CHECK((*store)->pending(salon_id{"dead"}) == 5'000);

    CHECK((*store)->next_due() == t0);
    auto const now = (*store)->take_due(t0, 10);
    REQUIRE(now.size() == 1);
    CHECK(now[0].id == "live:7:called:7");
    CHECK((*store)->next_due() == t0 + seconds{60} + milliseconds{1}); // live's next waits for its first
    REQUIRE((*store)->delivered(now[0].id));
    CHECK((*store)->next_due() == t0 + seconds{1});

    // An hour on: one of each salon, the dead one's first by seq; its retry goes to the back of its line.
    auto const later = (*store)->take_due(t0 + std::chrono::hours{1}, 10);
    REQUIRE(later.size() == 2);
    CHECK(later[0].id == "live:8:called:8");
    CHECK(later[1].id == "dead:1:called:1");
    REQUIRE((*store)->failed(later[1].id, "timeout", t0 + std::chrono::hours{2}));
    auto const after = (*store)->take_due(t0 + std::chrono::hours{1}, 10);
    REQUIRE(after.size() == 1);
    CHECK(after[0].id == "dead:2:called:2");
    CHECK((*store)->pending() == 5'001); // live's 8 (held, not yet answered) and the dead salon's 5,000
}

} // namespace salonq::test
