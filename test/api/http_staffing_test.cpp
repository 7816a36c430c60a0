// GET /v1/salons/{salonId}/staffing over a real serve stack (labels embedded, http): a salon without a week of
// history is told so (200, not_enough_history, no hours), the stats answer carries the day's prediction accuracy,
// and the edge refuses what it must: no token (401), a role without read_stats or a token of another salon (403),
// a bad query (400 naming the parameter), an unknown salon (404). The advice itself against `salonq replay --report
// staffing` on the same log: test/api/staffing_replay_test.py.

#include "engine/codec/json_writer.hpp"
#include "engine/domain/calendar.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_salon.hpp"
#include "test/support/http_server.hpp"
#include "test/support/json_at.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_staffing_test {

namespace {

using salonq::test::int_at;
using salonq::test::text_at;

using salonq::api::auth::role;
using salonq::test::http_client;
using salonq::test::http_fixture;
using salonq::test::london_today;

std::string day_text(salonq::engine::local_day d) { return salonq::engine::codec::format_day(d); }

std::string const walk_in_body = R"({"customer":{"name":"Bo"},"services":["HC"]})";

} // namespace

TEST_CASE("http staffing: a salon of one day is told it has not enough history; its stats score the prediction") {
    http_fixture server;
    http_client admin{server.port(), server.admin_token()};
    salonq::test::open_salon_over_http(admin, "/v1/salons/s1");
    http_client pos{server.port(), server.token(role::pos, "s1")};
    http_client owner{server.port(), server.token(role::owner, "s1", "ana")};
    std::int64_t told_ms = 0; // the estimates the walk-ins were told, summed
    for (int i = 0; i < 2; ++i) {
        auto const joined = pos.post("/v1/salons/s1/walk-ins", walk_in_body);
        REQUIRE(joined.status == 201);
        told_ms += int_at(joined.body, "/ticket/estimatedWaitMs");
    }
    REQUIRE(owner.post("/v1/salons/s1/start-next", R"({"staffId":"ana"})").status == 200);
    REQUIRE(owner.post("/v1/salons/s1/tickets/1/complete", R"({"amountCents":2500})").status == 200);
    REQUIRE(owner.post("/v1/salons/s1/start-next", R"({"staffId":"ana"})").status == 200);

    http_client analyst{server.port(), server.token(role::analyst, "s1")};
    auto const today = london_today();
    salonq::test::http_answer stats;
    auto const committed = std::chrono::steady_clock::now();
    for (;;) { // the stats consumer is woken by the commit
        stats = salonq::test::get_when_folded(analyst, "/v1/salons/s1/stats?day=" + day_text(today));
        REQUIRE(stats.status == 200);
        if (int_at(stats.body, "/days/0/prediction/scored") == 2 ||
            std::chrono::steady_clock::now() - committed > std::chrono::seconds{1}) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    // Both started; ana was on duty when they joined: t1 was told "at once", t2 about the 30 minutes of t1's cut.
    CHECK(int_at(stats.body, "/days/0/prediction/scored") == 2);
    CHECK(int_at(stats.body, "/days/0/prediction/unscored") == 0);
    CHECK(int_at(stats.body, "/days/0/prediction/predictor/meanAbsErrorMs") >= 0);
    // The stats' estimates are the ones the walk-ins were told: the bias is the mean of told minus waited (the two
    // waits are the day's p50 and p90).
    auto const waited_ms = int_at(stats.body, "/days/0/waitMs/p50") + int_at(stats.body, "/days/0/waitMs/p90");
    CHECK(int_at(stats.body, "/days/0/prediction/predictor/biasMs") ==
          std::llround(static_cast<double>(told_ms - waited_ms) / 2.0));
    CHECK(told_ms >= 25 * 60'000); // t2 was told about t1's 30-minute cut
    CHECK(int_at(stats.body, "/days/0/prediction/sumAhead/p90AbsErrorMs") > 0);

    auto const advice = analyst.get("/v1/salons/s1/staffing");
    REQUIRE(advice.status == 200);
    CHECK(text_at(advice.body, "/status") == "not_enough_history");
    CHECK(int_at(advice.body, "/historyDays") == 0); // the four weeks end yesterday; the salon began today
    CHECK(int_at(advice.body, "/minHistoryDays") == 7);
    CHECK(int_at(advice.body, "/targetWaitMs") == 15 * 60'000);
    CHECK(text_at(advice.body, "/from") == day_text(today - 28));
    CHECK(text_at(advice.body, "/to") == day_text(today - 1));
    CHECK(text_at(advice.body, "/hours/0/weekday") == "<none>");
    CHECK(text_at(advice.body, "/timezone") == "Europe/London");
    // Days to come are no history either: a window from today on still has one day.
    auto const ahead =
        analyst.get("/v1/salons/s1/staffing?targetWait=20&from=" + day_text(today) + "&to=" + day_text(today + 13));
    REQUIRE(ahead.status == 200);
    CHECK(int_at(ahead.body, "/historyDays") == 1);
    CHECK(int_at(ahead.body, "/targetWaitMs") == 20 * 60'000);
    CHECK(text_at(ahead.body, "/status") == "not_enough_history");
    CHECK(http_client{server.port(), server.token(role::manager, "s1", "ana")}.get("/v1/salons/s1/staffing").status ==
          200);
    CHECK(owner.get("/v1/salons/s1/staffing?weeks=1").status == 200);
}

TEST_CASE("http staffing: a bad query is 400 naming the parameter; an unknown salon 404; other roles and salons 403") {
    http_fixture server;
    http_client admin{server.port(), server.admin_token()};
    salonq::test::open_salon_over_http(admin, "/v1/salons/s1");
    salonq::test::open_salon_over_http(admin, "/v1/salons/s2");
    http_client analyst{server.port(), server.token(role::analyst, "s1")};
    struct bad {
        std::string query;
        std::string field;
    };
    for (auto const& b :
         {bad{"targetWait=0", "targetWait"}, bad{"targetWait=601", "targetWait"}, bad{"targetWait=15.5", "targetWait"},
          bad{"targetWait=", "targetWait"}, bad{"weeks=0", "weeks"}, bad{"weeks=53", "weeks"}, bad{"weeks=x", "weeks"},
          bad{"from=2026-11-01", "to"}, bad{"to=2026-11-01", "from"}, bad{"from=2026-13-01&to=2026-11-01", "from"},
          bad{"weeks=2&from=2026-11-01&to=2026-11-14", "weeks"}, bad{"from=2026-11-03&to=2026-11-01", "from"},
          bad{"from=2025-01-01&to=2026-01-02", "to"}}) {
        CAPTURE(b.query);
        auto const refused = analyst.get("/v1/salons/s1/staffing?" + b.query);
        CHECK(refused.status == 400);
        CHECK(text_at(refused.body, "/error/code") == "invalid_value");
        CHECK(text_at(refused.body, "/error/field") == b.field);
    }
    CHECK(salonq::test::get_when_folded(analyst, "/v1/salons/s1/staffing?from=2024-01-01&to=2024-12-31").status ==
          200); // 366 days
    CHECK(analyst.get("/v1/salons/s1/staffing?targetWait=600&weeks=52").status == 200);
    CHECK(admin.get("/v1/salons/nobody/staffing").status == 404);
    CHECK(text_at(admin.get("/v1/salons/nobody/staffing").body, "/error/code") == "salon_not_found");
    CHECK(analyst.get("/v1/salons/s2/staffing").status == 403); // another salon's
    CHECK(http_client{server.port(), server.token(role::pos, "s1")}.get("/v1/salons/s1/staffing").status ==
          403); // no read_stats
    CHECK(http_client{server.port(), server.token(role::staff, "s1", "ana")}.get("/v1/salons/s1/staffing").status ==
          403);
    CHECK(http_client{server.port(), ""}.get("/v1/salons/s1/staffing").status == 401);
}

} // namespace http_staffing_test
