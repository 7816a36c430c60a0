// Who may call what over HTTP (label embedded, http): the token refusals as 401, another salon or another role as
// 403, the actor taken from the token, revocation learnt by a running server, and the priority limit holding
// when many managers try at once.

#include "api/auth/keyring.hpp"
#include "api/auth/revocation.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_server.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <atomic>
#include <thread>
#include <vector>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_auth_test {

namespace {

using salonq::api::auth::role;
using salonq::test::http_answer;
using salonq::test::http_client;
using salonq::test::http_fixture;
namespace bhttp = boost::beast::http;

std::string field(std::string const& body, std::string_view pointer) {
    simdjson::dom::parser parser;
    std::string_view out;
    return parser.parse(body).at_pointer(pointer).get(out) == simdjson::SUCCESS ? std::string{out} : "<none>";
}

std::string b64(std::string_view s) { return salonq::api::auth::base64url_encode(s); }

// Salon s1 with a service, an owner (ana), a manager (max), a staff member (sam), all on duty; and salon s2.
void open_salons(http_fixture const& server) {
    http_client admin{server.port(), server.admin_token()};
    for (std::string salon : {"s1", "s2"}) {
        auto const base = "/v1/salons/" + salon;
        REQUIRE(admin.request(bhttp::verb::put, base, R"({"name":"Cuts","timezone":"Europe/London"})").status == 201);
        REQUIRE(
            admin
                .request(
                    bhttp::verb::patch, base + "/config",
                    R"({"priorityDailyLimit":2,"services":[{"code":"HC","name":"Cut","priceCents":2000,"durationMin":30}]})")
                .status == 200);
    }
    for (auto const& [id, r] : {std::pair{"ana", "owner"}, std::pair{"max", "manager"}, std::pair{"sam", "staff"}}) {
        REQUIRE(
            admin.post("/v1/salons/s1/staff", fmt::format(R"({{"staffId":"{}","name":"{}","role":"{}"}})", id, id, r))
                .status == 201);
        REQUIRE(admin.post(fmt::format("/v1/salons/s1/staff/{}/clock-in", id), "").status == 200);
    }
}

std::string const walk_in_body = R"({"customer":{"name":"Bo"},"services":["HC"]})";

} // namespace

TEST_CASE("http auth: a request without a valid token is 401 and names why") {
    http_fixture server;
    open_salons(server);
    auto const good = server.token(role::pos, "s1", std::nullopt);
    auto const parts_at = good.find('.');
    auto const payload = good.substr(parts_at + 1, good.rfind('.') - parts_at - 1);

    struct row {
        char const* name;
        std::string authorization;
        char const* code;
    };
    std::vector<row> const rows{
        {"no token", "", "token_missing"},
        {"not a bearer token", "Basic YTpi", "token_malformed"},
        {"garbage", "Bearer not.a.token", "token_malformed"},
        {"bad signature", "Bearer " + good.substr(0, good.size() - 4) + "AAAA", "token_invalid"},
        {"alg none", "Bearer " + b64(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".", "token_unsupported_alg"},
        {"expired",
         "Bearer " + server.token(role::pos, "s1", std::nullopt, std::chrono::hours{1},
                                  http_fixture::now() - std::chrono::hours{3}),
         "token_expired"},
    };
    for (auto const& r : rows) {
        CAPTURE(r.name);
        http_client c{server.port()};
        salonq::test::header_list headers;
        if (!r.authorization.empty()) {
            headers.emplace_back("Authorization", r.authorization);
        }
        auto const a = c.post("/v1/salons/s1/walk-ins", walk_in_body, headers);
        CHECK(a.status == 401);
        CHECK(field(a.body, "/error/code") == r.code);
        // RFC 6750: a request that sent no credentials is not told its token is invalid.
        auto const challenge =
            r.authorization.empty() ? R"(Bearer realm="salonq")" : R"(Bearer realm="salonq", error="invalid_token")";
        CHECK(a.header("WWW-Authenticate") == challenge);
    }
    SUBCASE("a token signed with another keyring (an unknown kid) is 401") {
        http_fixture other;
        http_client c{server.port(), other.token(role::pos, "s1")};
        auto const a = c.post("/v1/salons/s1/walk-ins", walk_in_body);
        CHECK(a.status == 401);
        CHECK(field(a.body, "/error/code") == "unknown_key");
    }
    SUBCASE("health needs no token") {
        http_client c{server.port()};
        CHECK(c.get("/healthz").status == 200);
        CHECK(c.get("/readyz").status == 200);
    }
}

TEST_CASE("http auth: a token reaches its own salons only, and its role's actions only") {
    http_fixture server;
    open_salons(server);
    http_client pos_s2{server.port(), server.token(role::pos, "s2")};
    auto const other_salon = pos_s2.post("/v1/salons/s1/walk-ins", walk_in_body);
    CHECK(other_salon.status == 403);
    CHECK(field(other_salon.body, "/error/code") == "forbidden_salon");
    CHECK(pos_s2.get("/v1/salons/s1/commands/x").status == 403);

    http_client pos{server.port(), server.token(role::pos, "s1")};
    auto const issued = pos.post("/v1/salons/s1/walk-ins", walk_in_body);
    REQUIRE(issued.status == 201);
    CHECK(field(issued.body, "/events/0/actor/kind") == "terminal"); // the actor is the token's, not the body's
    CHECK(pos.post("/v1/salons/s1/start-next", R"({"staffId":"sam"})").status == 403);

    http_client dashboard{server.port(), server.token(role::dashboard, "s1")};
    auto const reads_only = dashboard.post("/v1/salons/s1/walk-ins", walk_in_body);
    CHECK(reads_only.status == 403);
    CHECK(field(reads_only.body, "/error/code") == "forbidden_action");
    CHECK(dashboard.get("/metrics").status == 403);
    CHECK(http_client{server.port(), server.token(role::analyst, "s1")}.get("/metrics").status == 403);
    // A scraper's token reads /metrics and nothing else: no queue, no admin route, no command.
    http_client monitor{server.port(), server.token(role::monitor)};
    auto const scraped = monitor.get("/metrics");
    CHECK(scraped.status == 200);
    CHECK(scraped.body.find("salonq_http_requests_total") != std::string::npos);
    CHECK(monitor.get("/v1/salons/s1/queue").status == 403);
    CHECK(monitor.get("/v1/admin/projections").status == 403);
    CHECK(monitor.post("/v1/salons/s1/walk-ins", walk_in_body).status == 403);
    CHECK(monitor.get("/v1/customers/c1/loyalty").status == 403);

    http_client staff{server.port(), server.token(role::staff, "s1", "sam")};
    auto const started = staff.post("/v1/salons/s1/start-next", R"({"staffId":"sam"})");
    CHECK(started.status == 200);
    CHECK(field(started.body, "/events/0/actor/id") == "sam");
    CHECK(staff.post("/v1/salons/s1/tickets/1/skip", R"({"reason":"gone"})").status == 403); // managers only

    // A manager token whose staff claim names a record of role staff: the engine refuses it from its own records.
    (void)pos.post("/v1/salons/s1/walk-ins", walk_in_body);
    http_client claims_too_much{server.port(), server.token(role::manager, "s1", "sam")};
    auto const refused = claims_too_much.post("/v1/salons/s1/tickets/2/skip", R"({"reason":"gone"})");
    CHECK(refused.status == 403);
    CHECK(field(refused.body, "/error/code") == "forbidden_role");
    http_client manager{server.port(), server.token(role::manager, "s1", "max")};
    CHECK(manager.post("/v1/salons/s1/tickets/2/skip", R"({"reason":"gone"})").status == 200);
}

TEST_CASE("http auth: a revoked token is refused by the running server within its refresh") {
    http_fixture server;
    open_salons(server);
    auto const issued = server.issue(role::pos, "s1");
    http_client c{server.port(), issued.token};
    REQUIRE(c.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
    auto list = salonq::api::auth::file_revocations::open(salonq::api::auth::default_revocations_path(server.data()));
    REQUIRE(list);
    REQUIRE((*list)->revoke(issued.jti, issued.expires, http_fixture::now()));
    http_answer after;
    for (int i = 0; i < 40; ++i) { // the server refreshes about every second
        after = c.post("/v1/salons/s1/walk-ins", walk_in_body);
        if (after.status == 401) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
    CHECK(after.status == 401);
    CHECK(field(after.body, "/error/code") == "token_revoked");
}

TEST_CASE("http auth: many managers starting priority tickets at once cannot pass the daily limit") {
    http_fixture server;
    open_salons(server);
    http_client admin{server.port(), server.admin_token()};
    for (int m = 0; m < 8; ++m) { // eight managers on duty, so the limit (2 a day) is what binds, not a busy chair
        auto const id = "m" + std::to_string(m);
        REQUIRE(
            admin.post("/v1/salons/s1/staff", R"({"staffId":")" + id + R"(","name":"M","role":"manager"})").status ==
            201);
        REQUIRE(admin.post("/v1/salons/s1/staff/" + id + "/clock-in", "").status == 200);
    }
    http_client pos{server.port(), server.token(role::pos, "s1")};
    for (int i = 0; i < 12; ++i) {
        REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
    }
    std::atomic<int> accepted{0};
    std::atomic<int> limit_reached{0};
    std::vector<std::thread> managers;
    managers.reserve(8);
    for (int t = 0; t < 8; ++t) {
        managers.emplace_back([&, t, token = server.token(role::manager, "s1", "m" + std::to_string(t))] {
            http_client c{server.port(), token};
            auto const r = c.post("/v1/salons/s1/tickets/" + std::to_string(t + 1) + "/start-priority",
                                  R"({"staffId":"m)" + std::to_string(t) + R"(","reason":"senior_citizen"})");
            if (r.status == 200) {
                ++accepted;
            } else if (field(r.body, "/error/code") == "priority_limit_reached") {
                ++limit_reached;
            }
        });
    }
    for (auto& t : managers) {
        t.join();
    }
    CHECK(accepted.load() == 2);
    CHECK(limit_reached.load() == 6);
}

} // namespace http_auth_test
