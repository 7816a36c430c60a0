// A customer's loyalty over HTTP (labels embedded, http), on the real serve stack: points appear after completes,
// an admin sees every salon, a salon's token only its own (and the same 404 as for an unknown customer where the
// customer earned nothing), roles that may not read it are refused, bad input names its field, pages go on.

#include "test/support/http_client.hpp"
#include "test/support/http_server.hpp"
#include "test/support/json_at.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>
#include <thread>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_loyalty_test {

namespace {

using salonq::test::int_at;
using salonq::test::text_at;

using salonq::api::auth::role;
using salonq::test::http_client;
using salonq::test::http_fixture;
namespace bhttp = boost::beast::http;

void open_salon(http_client& admin, std::string const& salon, std::string const& config) {
    REQUIRE(admin.request(bhttp::verb::put, "/v1/salons/" + salon, R"({"name":"Cuts","timezone":"Europe/London"})")
                .status == 201);
    REQUIRE(admin.request(bhttp::verb::patch, "/v1/salons/" + salon + "/config", config).status == 200);
    REQUIRE(admin.post("/v1/salons/" + salon + "/staff", R"({"staffId":"ana","name":"Ana","role":"owner"})").status ==
            201);
    REQUIRE(admin.post("/v1/salons/" + salon + "/staff/ana/clock-in", "").status == 200);
}

// A walk-in of `customer` served by ana and completed, paying `amount` cents.
void served(http_client& admin, std::string const& salon, int ticket, std::string const& customer, int amount) {
    auto const base = "/v1/salons/" + salon;
    REQUIRE(admin
                .post(base + "/walk-ins",
                      R"({"customer":{"name":"Ann","customerId":")" + customer + R"("},"services":["HC"]})")
                .status == 201);
    auto const t = base + "/tickets/" + std::to_string(ticket);
    REQUIRE(admin.post(t + "/start", R"({"staffId":"ana"})").status == 200);
    REQUIRE(admin.post(t + "/complete", R"({"amountCents":)" + std::to_string(amount) + "}").status == 200);
}

// The answer once the customer's balance (as this client sees it) is `balance`: the consumer folds after the commit.
salonq::test::http_answer balance_of(http_client& c, std::string const& customer, std::int64_t balance) {
    auto r = c.get("/v1/customers/" + customer + "/loyalty");
    for (int i = 0; i < 250 && int_at(r.body, "/balance") != balance; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
        r = c.get("/v1/customers/" + customer + "/loyalty");
    }
    return r;
}

std::string const catalogue = R"({"services":[{"code":"HC","name":"Cut","priceCents":2500,"durationMin":30}])";

} // namespace

TEST_CASE("http loyalty: points per salon, what each token may see, 404 that reveals nothing, pages") {
    http_fixture server;
    http_client admin{server.port(), server.admin_token()};
    open_salon(admin, "s1", catalogue + "}");
    open_salon(admin, "s2", R"({"loyaltyCentsPerPoint":100,)" + catalogue.substr(1) + "}");
    open_salon(admin, "s3", catalogue + "}");
    served(admin, "s1", 1, "cust-1", 2500); // 2 points
    // Entries are newest first by their time (ms); on a fast disk the next three requests can all fall in the same
    // millisecond, and entries of one time are ordered by seq and salonId, not by arrival. A later one for s2.
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
    served(admin, "s2", 1, "cust-1", 1234); // 12 points
    served(admin, "s1", 2, "cust-1", 999);  // nothing: under a point
    served(admin, "s3", 1, "cust-2", 5000);

    auto const all = balance_of(admin, "cust-1", 14);
    REQUIRE(all.status == 200);
    CHECK(text_at(all.body, "/scope") == "all");
    CHECK(text_at(all.body, "/note") == "<none>");
    CHECK(int_at(all.body, "/salons/1/points") == 12);
    CHECK(text_at(all.body, "/entries/0/salonId") == "s2"); // newest first
    CHECK(text_at(all.body, "/entries/0/id") == "s2:" + std::to_string(int_at(all.body, "/entries/0/seq")));
    CHECK(int_at(all.body, "/entries/1/amountCents") == 2500);
    CHECK(int_at(all.body, "/entries/2/points") == -1); // two entries only
    CHECK(all.header("Cache-Control") == "no-store");

    for (auto r : {role::pos, role::manager, role::analyst}) {
        CAPTURE(salonq::api::auth::to_string(r));
        http_client s1{server.port(),
                       server.token(r, "s1", r == role::manager ? std::optional<std::string>{"ana"} : std::nullopt)};
        auto const mine = balance_of(s1, "cust-1", 2);
        REQUIRE(mine.status == 200);
        CHECK(text_at(mine.body, "/scope") == "token_salons");
        CHECK(text_at(mine.body, "/note").starts_with("balance and entries at the salons this token reaches only"));
        CHECK(text_at(mine.body, "/salons/0/salonId") == "s1");
        CHECK(text_at(mine.body, "/salons/1/salonId") == "<none>");
        CHECK(text_at(mine.body, "/entries/0/salonId") == "s1");
        CHECK(text_at(mine.body, "/entries/1/salonId") == "<none>");
    }

    // cust-2 earned at s3 only: to s1's token it is exactly as unknown as a customer that never was.
    http_client s1{server.port(), server.token(role::pos, "s1")};
    auto const elsewhere = s1.get("/v1/customers/cust-2/loyalty");
    auto const nobody = s1.get("/v1/customers/nobody/loyalty");
    CHECK(elsewhere.status == 404);
    CHECK(elsewhere.body == nobody.body);
    CHECK(text_at(nobody.body, "/error/code") == "customer_not_found");
    CHECK(text_at(nobody.body, "/error/field") == "customerId");
    CHECK(balance_of(admin, "cust-2", 5).status == 200);

    for (auto r : {role::staff, role::dashboard}) {
        CAPTURE(salonq::api::auth::to_string(r));
        http_client refused{server.port(),
                            server.token(r, "s1", r == role::staff ? std::optional<std::string>{"ana"} : std::nullopt)};
        auto const answer = refused.get("/v1/customers/cust-1/loyalty");
        CHECK(answer.status == 403);
        CHECK(text_at(answer.body, "/error/code") == "forbidden_action");
    }
    CHECK(http_client{server.port()}.get("/v1/customers/cust-1/loyalty").status == 401);

    for (auto [target, field] : {std::pair{"/v1/customers/a%20b/loyalty", "customerId"},
                                 std::pair{"/v1/customers/cust-1/loyalty?limit=0", "limit"},
                                 std::pair{"/v1/customers/cust-1/loyalty?limit=1001", "limit"},
                                 std::pair{"/v1/customers/cust-1/loyalty?limit=x", "limit"},
                                 std::pair{"/v1/customers/cust-1/loyalty?after=12.x.s1", "after"}}) {
        CAPTURE(target);
        auto const bad = admin.get(target);
        CHECK(bad.status == 400);
        CHECK(text_at(bad.body, "/error/code") == "invalid_value");
        CHECK(text_at(bad.body, "/error/field") == field);
    }

    auto const first = admin.get("/v1/customers/cust-1/loyalty?limit=1");
    REQUIRE(first.status == 200);
    auto const next = text_at(first.body, "/nextAfter");
    CHECK(first.header("Link").find("after=" + next) != std::string::npos);
    CHECK(int_at(first.body, "/balance") == 14); // the balance is the whole, whatever the page
    auto const second = admin.get("/v1/customers/cust-1/loyalty?limit=1&after=" + next);
    REQUIRE(second.status == 200);
    CHECK(text_at(second.body, "/entries/0/salonId") == "s1");
    CHECK(text_at(second.body, "/nextAfter") == "<none>");
}

} // namespace http_loyalty_test
