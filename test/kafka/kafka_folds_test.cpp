// The stats, the staffing advice and the loyalty ledger of Kafka mode's api role, folded from salonq.events alone
// (api/serve/kafka_folds): two api instances (`serve --role api`) and an engine worker, real processes over a real
// broker. Walk-ins of a customer are served and completed through instance A; instance B's stats, staffing advice
// and loyalty balance show them (B folded them from the topic, A's POSTs never reached it). B restarts: it resumes
// from the offsets stored with its stores (it reads no record of the history again) and the balance is not doubled;
// what comes after the restart is counted once.

#include "test/support/broker.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_salon.hpp"
#include "test/support/json_at.hpp"
#include "test/support/kafka_api.hpp"

#include "engine/codec/json_writer.hpp"
#include "engine/domain/calendar.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

constexpr int partitions = 4;
std::string const salon = "/v1/salons/k1";

std::string today() { return salonq::engine::codec::format_day(london_today()); }

// A walk-in of `customer` (ticket `ticket`) served by ana and completed for `amount` cents, through `c`.
void served(http_client& c, int ticket, std::string const& customer, int amount) {
    auto const walk_in = c.post(salon + "/walk-ins",
                                R"({"customer":{"name":"Ann","customerId":")" + customer + R"("},"services":["HC"]})");
    REQUIRE_MESSAGE(walk_in.status == 201, walk_in.body);
    auto const t = salon + "/tickets/" + std::to_string(ticket);
    REQUIRE(c.post(t + "/start", R"({"staffId":"ana"})").status == 200);
    REQUIRE(c.post(t + "/complete", R"({"amountCents":)" + std::to_string(amount) + "}").status == 200);
}

// GET `target` until `done` holds of the answer, at most `limit`; the last answer.
http_answer get_until(http_client& c, std::string const& target, std::function<bool(http_answer const&)> const& done,
                      std::chrono::seconds limit = 20s) {
    auto const deadline = std::chrono::steady_clock::now() + limit;
    auto r = c.get(target);
    while (!done(r) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
        r = c.get(target);
    }
    return r;
}

http_answer balance_of(http_client& c, std::string const& customer, std::int64_t balance) {
    return get_until(c, "/v1/customers/" + customer + "/loyalty", [balance](http_answer const& r) {
        return r.status == 200 && int_at(r.body, "/balance") == balance;
    });
}

// Today's stats once they count `walk_ins` walk-ins and `served` served.
http_answer stats_of(http_client& c, std::int64_t walk_ins, std::int64_t served) {
    return get_until(c, salon + "/stats?day=" + today(), [walk_ins, served](http_answer const& r) {
        return r.status == 200 && int_at(r.body, "/days/0/walkIns") == walk_ins &&
               int_at(r.body, "/days/0/served") == served;
    });
}

// Until both folds of the instance have read as many records and then say 0 events behind salonq.events. Call it
// once the stats show the last event: a fold's lag is measured against the ends its reader last learned, so a fold
// that has not read since the last event still says 0; the count of records it read does not. The counts come
// first: a reader learns the ends before it counts a read's records, so once the counts agree the ends are past the
// last event, and a lag of 0 read after that means it is folded.
void caught_up(http_client& c) {
    auto const deadline = std::chrono::steady_clock::now() + 20s;
    auto const done = [&c] {
        return metric(c, "salonq_stats_records_read") == metric(c, "salonq_loyalty_records_read") &&
               metric(c, "salonq_stats_lag_events") == 0 && metric(c, "salonq_loyalty_lag_events") == 0;
    };
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    CHECK(metric(c, "salonq_stats_records_read") == metric(c, "salonq_loyalty_records_read"));
    CHECK(metric(c, "salonq_stats_lag_events") == 0);
    CHECK(metric(c, "salonq_loyalty_lag_events") == 0);
}

} // namespace

TEST_CASE("kafka folds: stats, staffing and loyalty on any api instance, resumed after a restart, counted once") {
    kafka_broker broker;
    create_topics(broker.bootstrap(), partitions);
    auto w1 = start_worker(broker, "w1", {"--session-timeout-ms", "3000"});
    auto const keyring = broker.dir() / "keyring.json";
    auto const admin = issue_token(broker.dir() / "cli", keyring, {"--role", "admin", "--all-salons"});

    api_instance a{broker, "a", keyring};
    auto b = std::make_unique<api_instance>(broker, "b", keyring);
    a.wait_ready(60s);
    b->wait_ready(60s);
    http_client ca{a.port(), admin};
    http_client cb{b->port(), admin};
    open_salon_over_http(ca, salon);
    // Three services of cust-1 (2 points each at the default 1000 cents a point), and one walk-in still waiting.
    for (int ticket = 1; ticket <= 3; ++ticket) {
        served(ca, ticket, "cust-1", 2500);
    }
    REQUIRE(ca.post(salon + "/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})").status == 201);

    // B folded them from salonq.events.
    auto const points = balance_of(cb, "cust-1", 6);
    REQUIRE_MESSAGE(points.status == 200, points.body);
    CHECK(int_at(points.body, "/balance") == 6);
    CHECK(int_at(points.body, "/entries/2/points") == 2);
    CHECK(int_at(points.body, "/entries/3/points") == -1); // three entries, no more
    auto const stats = stats_of(cb, 4, 3);
    REQUIRE_MESSAGE(stats.status == 200, stats.body);
    CHECK(int_at(stats.body, "/days/0/served") == 3);
    CHECK(int_at(stats.body, "/days/0/walkIns") == 4);
    CHECK(int_at(stats.body, "/days/0/open") == 1);
    CHECK(int_at(stats.body, "/days/0/revenueCents") == 7500);
    auto const advice = cb.get(salon + "/staffing");
    CHECK_MESSAGE(advice.status == 200, advice.body);
    CHECK(text_at(advice.body, "/status") == "not_enough_history");
    // And A from the same topic.
    CHECK(int_at(balance_of(ca, "cust-1", 6).body, "/balance") == 6);
    CHECK(int_at(stats_of(ca, 4, 3).body, "/days/0/revenueCents") == 7500);
    caught_up(cb); // the stats' four walk-ins include Bo's, the last event
    auto const read_before = metric(cb, "salonq_loyalty_records_read");
    CHECK(read_before >= 12); // the salon's set-up, four walk-ins, three starts and completions
    CHECK(metric(cb, "salonq_stats_records_read") == read_before);
    CHECK(cb.get("/readyz").status == 200);

    // B restarts: the stores resume from their offsets, nothing of the history is read again, nothing is doubled.
    REQUIRE(b->stop() == 0);
    b = std::make_unique<api_instance>(broker, "b", keyring);
    b->wait_ready(60s);
    http_client cb2{b->port(), admin};
    auto const again = cb2.get("/v1/customers/cust-1/loyalty");
    REQUIRE_MESSAGE(again.status == 200, again.body);
    CHECK(int_at(again.body, "/balance") == 6);
    CHECK(int_at(cb2.get(salon + "/stats?day=" + today()).body, "/days/0/served") == 3);
    CHECK(metric(cb2, "salonq_loyalty_records_read") == 0);
    CHECK(metric(cb2, "salonq_stats_records_read") == 0);
    caught_up(cb2);

    // What comes after the restart is folded once.
    served(ca, 5, "cust-1", 2500);
    CHECK(int_at(balance_of(cb2, "cust-1", 8).body, "/balance") == 8);
    CHECK(int_at(stats_of(cb2, 5, 4).body, "/days/0/revenueCents") == 10000);
    caught_up(cb2);
    auto const after = cb2.get("/v1/customers/cust-1/loyalty");
    CHECK(int_at(after.body, "/balance") == 8);
    CHECK(int_at(after.body, "/entries/3/points") == 2);
    CHECK(int_at(after.body, "/entries/4/points") == -1);
    auto const read_after = metric(cb2, "salonq_loyalty_records_read");
    CHECK(read_after >= 3); // the walk-in, the start and the completion
    CHECK(read_after < read_before);

    CHECK(a.stop() == 0);
    CHECK(b->stop() == 0);
    w1->kill(SIGTERM);
    CHECK(w1->wait() == 0);
}
