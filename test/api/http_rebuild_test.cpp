// The stats and the loyalty ledger rebuilt over HTTP on the real serve stack (labels embedded, http): while walk-ins
// and completions keep coming and screens read, POST /v1/admin/projections/{stats,loyalty}/rebuild swaps fresh
// generations in; every read answers all along, no balance goes back, and afterwards the answers are byte for byte
// those of the whole log folded from nothing (nothing lost, nothing counted twice).

#include "engine/codec/json_writer.hpp"
#include "loyalty/store/loyalty_store.hpp"
#include "projections/stats_store/stats_json.hpp"
#include "projections/stats_store/stats_store.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_salon.hpp"
#include "test/support/http_server.hpp"
#include "test/support/json_at.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_rebuild_test {

namespace {

using salonq::api::auth::role;
using salonq::test::http_client;
using salonq::test::http_fixture;
using salonq::test::int_at;
using salonq::test::text_at;

std::string const salon = "/v1/salons/s1";
constexpr std::int64_t cents_per_point = 1000; // the default rate

// One customer's visit: a walk-in with a loyalty id, served by ana and paid; the points it earns.
std::int64_t visit(http_client& c, int ticket, std::string const& customer, std::int64_t amount) {
    REQUIRE(c.post(salon + "/walk-ins",
                   R"({"customer":{"name":"Ann","customerId":")" + customer + R"("},"services":["HC"]})")
                .status == 201);
    auto const t = salon + "/tickets/" + std::to_string(ticket);
    REQUIRE(c.post(t + "/start", R"({"staffId":"ana"})").status == 200);
    REQUIRE(c.post(t + "/complete", R"({"amountCents":)" + std::to_string(amount) + "}").status == 200);
    return amount / cents_per_point;
}

std::string customer_of(int ticket) { return "cust-" + std::to_string(ticket % 3); }
std::int64_t amount_of(int ticket) { return 1000 + 250 * (ticket % 7); }

std::string today_stats() {
    return salon + "/stats?day=" + salonq::engine::codec::format_day(salonq::test::london_today());
}

// Each projection's `state` in GET /v1/admin/projections, in its order (views, stats, loyalty).
std::string state_of(std::string const& listed, int index) {
    return text_at(listed, "/projections/" + std::to_string(index) + "/state");
}

// Waits for both rebuilds to end; the last listing.
std::string rebuilt(http_client& admin) {
    auto listed = admin.get("/v1/admin/projections").body;
    auto const over = [&](int i) { return state_of(listed, i) == "done" || state_of(listed, i) == "failed"; };
    for (int i = 0; i < 400 && !(over(1) && over(2)); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        listed = admin.get("/v1/admin/projections").body;
    }
    return listed;
}

// The stats the whole log gives, folded from nothing into a store of its own: today's answer, as the route encodes it.
std::string stats_from_scratch(salonq::engine::log::reader& events, salonq::test::temp_dir const& dir) {
    auto store = salonq::projections::stats_store::stats_store::open(dir / "reference", events.partition_count());
    REQUIRE(store);
    REQUIRE((*store)->catch_up(events));
    auto const today = salonq::test::london_today();
    auto found = (*store)->stats(salonq::engine::salon_id{"s1"}, today, today);
    REQUIRE(found);
    REQUIRE(*found);
    return salonq::projections::stats_store::encode_stats(**found);
}

// The served answer once it is `expected` (the consumer folds after the commit), or the last one after a while.
std::string served_once(http_client& c, std::string const& target, std::string const& expected) {
    auto body = c.get(target).body;
    for (int i = 0; i < 200 && body != expected; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
        body = c.get(target).body;
    }
    return body;
}

// Waits until the consumers have folded the first `visits` visits: they follow the log a moment behind the
// commits, and a customer whose first visit is not folded yet has no points (404), which is no rebuild's doing.
void wait_for_folds(http_client& c, int visits) {
    std::int64_t cust1 = 0; // the balance the screens read below
    for (int t = 1; t <= visits; ++t) {
        cust1 += customer_of(t) == "cust-1" ? amount_of(t) / cents_per_point : 0;
    }
    auto const folded = [&] {
        auto const stats = c.get(today_stats());
        auto const mine = c.get("/v1/customers/cust-1/loyalty?limit=1");
        return stats.status == 200 && int_at(stats.body, "/days/0/served") == visits && mine.status == 200 &&
               int_at(mine.body, "/balance") == cust1;
    };
    for (int i = 0; i < 200 && !folded(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    REQUIRE(folded());
}

} // namespace

TEST_CASE("http admin: stats and loyalty rebuilt while walk-ins and completions go on; nothing lost or twice") {
    http_fixture server;
    http_client admin{server.port(), server.admin_token()};
    salonq::test::open_salon_over_http(admin, salon);
    std::int64_t points = 0;
    int ticket = 0;
    for (; ticket < 12; ++ticket) {
        points += visit(admin, ticket + 1, customer_of(ticket + 1), amount_of(ticket + 1));
    }
    wait_for_folds(admin, ticket);
    auto listed = admin.get("/v1/admin/projections");
    REQUIRE(listed.status == 200);
    CHECK(text_at(listed.body, "/projections/0/name") == "views");
    CHECK(text_at(listed.body, "/projections/1/name") == "stats");
    CHECK(text_at(listed.body, "/projections/2/name") == "loyalty");
    CHECK(text_at(listed.body, "/projections/1/directory") == "stats");
    CHECK(text_at(listed.body, "/projections/2/directory") == "loyalty");
    CHECK(state_of(listed.body, 1) == "idle");
    CHECK(state_of(listed.body, 2) == "idle");

    constexpr int max_tickets = 2000; // the traffic's bound, should the rebuilds never end
    std::atomic<bool> done{false};
    std::atomic<int> bad_reads{0};
    std::atomic<int> went_back{0};
    std::atomic<int> visits_during{0};
    std::thread traffic{[&] { // the front desk goes on: each visit earns its customer points
        http_client desk{server.port(), server.admin_token()};
        while (!done.load() && ticket < max_tickets) {
            ++ticket;
            points += visit(desk, ticket, customer_of(ticket), amount_of(ticket));
            ++visits_during;
        }
    }};
    std::thread screens{[&] { // the owner's dashboard and a customer's points page read all along
        http_client owner{server.port(), server.token(role::owner, "s1", "ana")};
        http_client reader{server.port(), server.admin_token()};
        std::int64_t last = 0;
        while (!done.load()) {
            auto const stats = owner.get(today_stats());
            auto const mine = reader.get("/v1/customers/cust-1/loyalty");
            bad_reads += stats.status == 200 && mine.status == 200 ? 0 : 1;
            auto const balance = int_at(mine.body, "/balance");
            went_back += balance < last ? 1 : 0;
            last = std::max(last, balance);
        }
    }};
    while (visits_during.load() < 3) {
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    auto const stats_started = admin.post("/v1/admin/projections/stats/rebuild", "");
    auto const loyalty_started = admin.post("/v1/admin/projections/loyalty/rebuild", "");
    CHECK(stats_started.status == 202);
    CHECK(loyalty_started.status == 202);
    CHECK(state_of(loyalty_started.body, 2) == "running");
    listed.body = rebuilt(admin);
    auto const during = visits_during.load();
    MESSAGE("visits during the rebuilds: " << during);
    while (visits_during.load() < during + 3 && visits_during.load() + 12 < max_tickets) { // and more after the swaps
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    done = true;
    traffic.join();
    screens.join();

    REQUIRE(state_of(listed.body, 1) == "done");
    REQUIRE(state_of(listed.body, 2) == "done");
    CHECK(text_at(listed.body, "/projections/1/directory") == "stats.1");
    CHECK(text_at(listed.body, "/projections/2/directory") == "loyalty.1");
    CHECK(int_at(listed.body, "/projections/2/read") == int_at(listed.body, "/projections/2/total"));
    CHECK(int_at(listed.body, "/projections/2/total") > 12 * 3);
    CHECK(bad_reads == 0);
    CHECK(went_back == 0);

    salonq::test::temp_dir reference;
    auto const expected_stats = stats_from_scratch(server.engine().events(), reference);
    CHECK(served_once(admin, today_stats(), expected_stats) == expected_stats);
    CHECK(int_at(expected_stats, "/days/0/served") == ticket);

    auto const ledger = salonq::loyalty::rebuild(server.engine().events());
    REQUIRE(ledger);
    std::int64_t served_points = 0;
    for (int c = 0; c < 3; ++c) {
        auto const id = "cust-" + std::to_string(c);
        auto const expected_balance = ledger->balance(salonq::engine::customer_id{id});
        auto balance = int_at(admin.get("/v1/customers/" + id + "/loyalty?limit=1").body, "/balance");
        for (int i = 0; i < 200 && balance != expected_balance; ++i) { // the consumer folds after the commit
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
            balance = int_at(admin.get("/v1/customers/" + id + "/loyalty?limit=1").body, "/balance");
        }
        CAPTURE(id);
        CHECK(balance == expected_balance);
        served_points += balance;
    }
    CHECK(served_points == points); // every completion's points, once

    // Once quiet, a rebuild of each serves the same bytes as the store it replaces.
    auto const answers = [&] {
        std::vector<std::string> out{admin.get(today_stats()).body};
        for (int c = 0; c < 3; ++c) {
            out.push_back(admin.get("/v1/customers/cust-" + std::to_string(c) + "/loyalty?limit=1000").body);
        }
        return out;
    };
    auto const before = answers();
    REQUIRE(admin.post("/v1/admin/projections/stats/rebuild", "").status == 202);
    REQUIRE(admin.post("/v1/admin/projections/loyalty/rebuild", "").status == 202);
    listed.body = rebuilt(admin);
    CHECK(text_at(listed.body, "/projections/1/directory") == "stats.2");
    CHECK(text_at(listed.body, "/projections/2/directory") == "loyalty.2");
    CHECK(answers() == before);

    auto const again = admin.post("/v1/admin/projections/nope/rebuild", "");
    CHECK(again.status == 404);
    CHECK(text_at(again.body, "/error/message") == "no projection named 'nope' (one of views, stats, loyalty)");
}

} // namespace http_rebuild_test
