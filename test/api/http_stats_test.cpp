// GET /v1/salons/{salonId}/stats over a real serve stack (labels embedded, http): today's figures follow the
// commands within a second, a quiet day is zeros, and the edge refuses what it must: a bad query (400 with the
// field), an unknown salon (404), a role without read_stats or a token of another salon (403).

#include "engine/codec/json_writer.hpp"
#include "engine/domain/calendar.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_salon.hpp"
#include "test/support/http_server.hpp"
#include "test/support/json_at.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <chrono>
#include <string>
#include <thread>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_stats_test {

namespace {

using salonq::test::int_at;
using salonq::test::text_at;

using salonq::api::auth::role;
using salonq::test::http_client;
using salonq::test::http_fixture;

// Today in London, as the salon counts its days.
std::string london_today() { return salonq::engine::codec::format_day(salonq::test::london_today()); }

std::string const walk_in_body = R"({"customer":{"name":"Bo"},"services":["HC"]})";

} // namespace

TEST_CASE("http stats: today's figures follow the commands within a second; a quiet day is zeros") {
    http_fixture server;
    http_client admin{server.port(), server.admin_token()};
    salonq::test::open_salon_over_http(admin, "/v1/salons/s1");
    http_client pos{server.port(), server.token(role::pos, "s1")};
    http_client owner{server.port(), server.token(role::owner, "s1", "ana")};
    for (int i = 0; i < 3; ++i) {
        REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
    }
    REQUIRE(owner.post("/v1/salons/s1/start-next", R"({"staffId":"ana"})").status == 200);
    REQUIRE(owner.post("/v1/salons/s1/tickets/1/complete", R"({"amountCents":2500})").status == 200);
    auto const committed = std::chrono::steady_clock::now();

    http_client analyst{server.port(), server.token(role::analyst, "s1")};
    auto const today = "/v1/salons/s1/stats?day=" + london_today();
    salonq::test::http_answer answer;
    for (;;) { // the consumer is woken by the commit: this is at once, but a second is the promise
        answer = salonq::test::get_when_folded(analyst, today);
        REQUIRE(answer.status == 200);
        if (int_at(answer.body, "/days/0/served") == 1 ||
            std::chrono::steady_clock::now() - committed > std::chrono::seconds{1}) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    CHECK(int_at(answer.body, "/days/0/walkIns") == 3);
    CHECK(int_at(answer.body, "/days/0/served") == 1);
    CHECK(int_at(answer.body, "/days/0/open") == 2);
    CHECK(int_at(answer.body, "/days/0/revenueCents") == 2500);
    auto const wait = int_at(answer.body, "/days/0/waitMs/p50"); // ticket 1 started at once
    CHECK(wait >= 0);
    CHECK(wait < 60'000);
    CHECK(text_at(answer.body, "/days/0/staff/0/staffId") == "ana");
    CHECK(int_at(answer.body, "/days/0/staff/0/served") == 1);
    CHECK(text_at(answer.body, "/days/0/services/0/services") == "HC");
    CHECK(text_at(answer.body, "/timezone") == "Europe/London");

    auto const quiet = analyst.get("/v1/salons/s1/stats?from=2020-02-28&to=2020-03-01");
    REQUIRE(quiet.status == 200);
    CHECK(text_at(quiet.body, "/days/2/day") == "2020-03-01"); // 2020 is a leap year: three days
    CHECK(int_at(quiet.body, "/days/1/walkIns") == 0);
    CHECK(text_at(quiet.body, "/days/3/day") == "<none>");

    http_client manager{server.port(), server.token(role::manager, "s1", "ana")};
    CHECK(manager.get(today).status == 200);
    CHECK(owner.get(today).status == 200);
}

TEST_CASE("http stats: a bad query is 400 naming the field; an unknown salon 404; other roles and salons 403") {
    http_fixture server;
    http_client admin{server.port(), server.admin_token()};
    salonq::test::open_salon_over_http(admin, "/v1/salons/s1");
    salonq::test::open_salon_over_http(admin, "/v1/salons/s2");
    http_client analyst{server.port(), server.token(role::analyst, "s1")};
    struct bad {
        std::string query;
        std::string field;
    };
    for (auto const& b : {bad{"day=2026-13-01", "day"}, bad{"day=26-11-01", "day"}, bad{"from=2026-11-01", "to"},
                          bad{"to=2026-11-01", "from"}, bad{"", "day"}, bad{"day=2026-11-01&to=2026-11-02", "day"},
                          bad{"from=2026-11-03&to=2026-11-01", "from"}, bad{"from=2025-01-01&to=2026-01-02", "to"}}) {
        CAPTURE(b.query);
        auto const refused = analyst.get("/v1/salons/s1/stats?" + b.query);
        CHECK(refused.status == 400);
        CHECK(text_at(refused.body, "/error/code") == "invalid_value");
        CHECK(text_at(refused.body, "/error/field") == b.field);
    }
    CHECK(salonq::test::get_when_folded(analyst, "/v1/salons/s1/stats?from=2025-01-01&to=2025-12-31").status ==
          200);                                                                            // 365 days
    CHECK(analyst.get("/v1/salons/s1/stats?from=2024-01-01&to=2024-12-31").status == 200); // 366 days
    CHECK(admin.get("/v1/salons/nobody/stats?day=2026-11-01").status == 404);
    CHECK(analyst.get("/v1/salons/s2/stats?day=2026-11-01").status == 403); // another salon's
    CHECK(http_client{server.port(), server.token(role::pos, "s1")}.get("/v1/salons/s1/stats?day=2026-11-01").status ==
          403); // no read_stats
    CHECK(http_client{server.port(), server.token(role::staff, "s1", "ana")}
              .get("/v1/salons/s1/stats?day=2026-11-01")
              .status == 403);
    CHECK(http_client{server.port(), ""}.get("/v1/salons/s1/stats?day=2026-11-01").status == 401);
}

} // namespace http_stats_test
