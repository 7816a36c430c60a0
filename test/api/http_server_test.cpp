// The HTTP API over a real engine and real sockets on loopback (label embedded): commands and their outcomes,
// idempotent retries, the error shape for bad input, the limits, keep-alive and the graceful stop.

#include "test/support/http_client.hpp"
#include "test/support/http_salon.hpp"
#include "test/support/http_server.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_server_test {

namespace {

using salonq::test::http_answer;
using salonq::test::http_client;
using salonq::test::http_fixture;
namespace bhttp = boost::beast::http;

std::string const salon = "/v1/salons/s1";

std::string json_string(std::string const& body, std::string_view pointer) {
    simdjson::dom::parser parser;
    std::string_view out;
    if (parser.parse(body).at_pointer(pointer).get(out) != simdjson::SUCCESS) {
        return "<none>";
    }
    return std::string{out};
}

std::int64_t json_int(std::string const& body, std::string_view pointer) {
    simdjson::dom::parser parser;
    std::int64_t out = -1;
    if (parser.parse(body).at_pointer(pointer).get(out) != simdjson::SUCCESS) {
        return -1;
    }
    return out;
}

// A salon with one service and one staff member on duty.
void open_salon_over_http(http_client& c) { salonq::test::open_salon_over_http(c, salon); }

http_answer walk_in(http_client& c, std::string const& key = {}) {
    salonq::test::header_list headers;
    if (!key.empty()) {
        headers.emplace_back("Idempotency-Key", key);
    }
    return c.post(salon + "/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})", headers);
}

} // namespace

TEST_CASE("http: a walk-in is answered with its ticket once the engine decided it") {
    http_fixture server;
    http_client c{server.port(), server.admin_token()};
    open_salon_over_http(c);
    auto const r = walk_in(c, "pos1-0001");
    CHECK(r.status == 201);
    CHECK(json_string(r.body, "/status") == "accepted");
    CHECK(json_string(r.body, "/commandId") == "pos1-0001");
    CHECK(json_int(r.body, "/ticket/position") == 1);
    CHECK(json_string(r.body, "/ticket/token").size() == 3);
    CHECK(json_string(r.body, "/events/0/type") == "ticket_issued");
    CHECK(r.header("Cache-Control") == "no-store");
    CHECK(r.header("X-Content-Type-Options") == "nosniff");
    CHECK(!r.header("X-Request-Id").empty());

    CHECK(json_int(r.body, "/ticket/estimatedWaitMs") == 0); // ana is on duty and free
    SUBCASE("a retry with the same Idempotency-Key gets the first answer, byte for byte, and no second ticket") {
        auto const next = walk_in(c);
        CHECK(json_int(next.body, "/ticket/position") == 2);
        // Behind a 30-minute haircut: its median, 30 / sqrt(1.16) minutes = 1,671,300 ms (docs/wait-prediction.md),
        // from the first walk-in's moment: a walk-in right after another continues its chain, so this one is
        // counted down by the milliseconds between them.
        auto const wait = json_int(next.body, "/ticket/estimatedWaitMs");
        CHECK(wait <= 1'671'300);
        CHECK(wait > 1'671'300 - 30'000); // a chain is at most 30 seconds long
        // And its likely range: the 3rd and 21st of the predictor's 23 runs of that haircut.
        CHECK(json_int(next.body, "/ticket/estimatedWaitLowMs") == 1'039'140 - (1'671'300 - wait));
        CHECK(json_int(next.body, "/ticket/estimatedWaitHighMs") == 2'687'940 - (1'671'300 - wait));
        // Even once the ticket is served and done, the retry reads the same (its join estimate stays with it).
        REQUIRE(c.post(salon + "/start-next", R"({"staffId":"ana"})").status == 200);
        REQUIRE(c.post(salon + "/tickets/" + std::to_string(json_int(r.body, "/ticket/ticketId")) + "/complete",
                       R"({"amountCents":2000})")
                    .status == 200);
        auto const again = walk_in(c, "pos1-0001");
        CHECK(again.status == 201);
        CHECK(again.body == r.body);
        CHECK(again.header("Idempotent-Replayed") == "true"); // and says it is a replay
        CHECK(r.header("Idempotent-Replayed").empty());
        CHECK(next.header("Idempotent-Replayed").empty());
    }
    SUBCASE("GET .../commands/{commandId} answers the same") {
        auto const got = c.get(salon + "/commands/pos1-0001");
        CHECK(got.status == 200 + 1); // the status of the first answer: 201
        CHECK(got.body == r.body);
        CHECK(c.get(salon + "/commands/never-sent").status == 404);
    }
    SUBCASE("without an Idempotency-Key the server makes a commandId and returns it") {
        auto const fresh = walk_in(c);
        CHECK(json_string(fresh.body, "/commandId").starts_with("api-"));
    }
}

TEST_CASE("http: an Idempotency-Key sent again for another command is refused, and nothing is done") {
    http_fixture server;
    http_client c{server.port(), server.admin_token()};
    open_salon_over_http(c);
    auto const issued = walk_in(c, "k1");
    REQUIRE(issued.status == 201);
    auto const ticket = std::to_string(json_int(issued.body, "/ticket/ticketId"));
    // The walk-in's key on a cancel: not the walk-in's answer (a POS would think the cancel worked).
    auto const cancel = c.post(salon + "/tickets/" + ticket + "/cancel", "{}", {{"Idempotency-Key", "k1"}});
    CHECK(cancel.status == 422);
    CHECK(json_string(cancel.body, "/error/code") == "idempotency_key_reused");
    CHECK(json_string(cancel.body, "/error/field") == "Idempotency-Key");
    CHECK(json_string(cancel.body, "/error/message").find("walk_in") != std::string::npos);
    // The same walk-in from another terminal with the same key: not the first terminal's ticket either.
    http_client pos{server.port(), server.token(salonq::api::auth::role::pos, "s1")};
    auto const other = walk_in(pos, "k1");
    CHECK(other.status == 422);
    CHECK(json_string(other.body, "/error/code") == "idempotency_key_reused");
    // A refused command's key is its own too.
    auto const refused =
        c.post(salon + "/tickets/" + ticket + "/complete", R"({"amountCents":1})", {{"Idempotency-Key", "k2"}});
    REQUIRE(refused.status == 409);
    CHECK(walk_in(c, "k2").status == 422);
    CHECK(
        c.post(salon + "/tickets/" + ticket + "/complete", R"({"amountCents":1})", {{"Idempotency-Key", "k2"}}).body ==
        refused.body);
    // Nothing was done: the ticket still waits, and the retry of the walk-in is its first answer.
    CHECK(json_string(c.get(salon + "/tickets/" + ticket).body, "/status") == "waiting");
    CHECK(walk_in(c, "k1").body == issued.body);
}

TEST_CASE("http: a command's outcome is read by its sender and by roles reading events; the phone by the latter") {
    http_fixture server;
    http_client c{server.port(), server.admin_token()};
    open_salon_over_http(c);
    auto const walk_in =
        R"({"customer":{"name":"Bo","phone":"+44 7700 900123","customerId":"cust-9"},"services":["HC"]})";
    auto const issued = c.post(salon + "/walk-ins", walk_in, {{"Idempotency-Key", "pos-7"}});
    REQUIRE(issued.status == 201);
    CHECK(json_string(issued.body, "/events/0/payload/customer/phone") == "+44 7700 900123");
    using salonq::api::auth::role;
    // Tokens that may not read the salon's events do not read another sender's outcome either (a priority start's
    // reason, a completion's amount): as if it did not exist.
    for (auto const r : {role::dashboard, role::pos, role::staff}) {
        CAPTURE(static_cast<int>(r));
        http_client reader{server.port(),
                           server.token(r, "s1", r == role::staff ? std::optional<std::string>{"ana"} : std::nullopt)};
        auto const got = reader.get(salon + "/commands/pos-7");
        CHECK(got.status == 404);
        CHECK(json_string(got.body, "/error/code") == "command_not_found");
    }
    // A terminal reads its own, with or without the token it sent it with, but not the customer's contact.
    http_client pos{server.port(), server.token(role::pos)};
    auto const own = pos.post(salon + "/walk-ins", walk_in, {{"Idempotency-Key", "pos-8"}});
    REQUIRE(own.status == 201);
    http_client same_terminal{server.port(), server.token(role::pos)};
    auto const got = same_terminal.get(salon + "/commands/pos-8");
    CHECK(got.status == 201);
    CHECK(json_string(got.body, "/events/0/payload/customer/name") == "Bo");
    CHECK(got.body.find("7700") == std::string::npos);
    CHECK(got.body.find("cust-9") == std::string::npos);
    http_client staff{server.port(), server.token(role::staff, "s1", "ana")};
    CHECK(staff.get(salon + "/commands/pos-8").status == 404);

    http_client manager{server.port(), server.token(role::manager, "s1", "ana")};
    CHECK(manager.get(salon + "/commands/pos-7").body == issued.body);
}

TEST_CASE("http: a refused command carries the rejection code and its status") {
    http_fixture server;
    http_client c{server.port(), server.admin_token()};
    open_salon_over_http(c);
    auto const issued = walk_in(c);
    auto const ticket = std::to_string(json_int(issued.body, "/ticket/ticketId"));

    auto const done = c.post(salon + "/tickets/" + ticket + "/complete", R"({"amountCents":2000})");
    CHECK(done.status == 409);
    CHECK(json_string(done.body, "/error/code") == "not_serving");
    CHECK(json_string(done.body, "/status") == "rejected");

    CHECK(c.post("/v1/salons/nowhere/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})").status == 404);
    auto const stale =
        c.post(salon + "/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})", {{"If-Match", "\"1\""}});
    CHECK(stale.status == 412);
    CHECK(json_string(stale.body, "/error/code") == "seq_conflict");
    // If-Match: * is any current view (RFC 9110): no condition on the seq; a salon that does not exist is still 404.
    CHECK(c.post(salon + "/walk-ins", R"({"customer":{"name":"Cy"},"services":["HC"]})", {{"If-Match", "*"}}).status ==
          201);
    CHECK(c.post("/v1/salons/nowhere/walk-ins", R"({"customer":{"name":"Cy"},"services":["HC"]})", {{"If-Match", "*"}})
              .status == 404);
    // ... and a salon being registered has no current view: 412, and it is not registered.
    auto const star_put = c.request(boost::beast::http::verb::put, "/v1/salons/newsalon",
                                    R"({"name":"New","timezone":"UTC"})", {{"If-Match", "*"}});
    CHECK(star_put.status == 412);
    CHECK(json_string(star_put.body, "/error/field") == "If-Match");
    CHECK(c.get("/v1/salons/newsalon/queue").status == 404);
    // A salon id that is not an id is refused as such first, whatever If-Match says.
    auto const bad_put = c.request(boost::beast::http::verb::put, "/v1/salons/bad%C3%B7id",
                                   R"({"name":"New","timezone":"UTC"})", {{"If-Match", "*"}});
    CHECK(bad_put.status != 412);
    CHECK(json_string(bad_put.body, "/error/field") == "salonId");

    auto const started = c.post(salon + "/tickets/" + ticket + "/start", R"({"staffId":"ana"})");
    CHECK(started.status == 200);
    CHECK(c.post(salon + "/tickets/" + ticket + "/complete", R"({"amountCents":2000})").status == 200);
}

TEST_CASE("http: bad input gets a clear error naming the field, and nothing is written") {
    http_fixture server;
    http_client c{server.port(), server.admin_token()};
    open_salon_over_http(c);
    struct row {
        char const* name;
        std::string target;
        std::string body;
        int status;
        char const* code;
        char const* field;
    };
    row const rows[] = {
        {"unknown field", salon + "/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"],"vip":true})", 422,
         "unknown_field", "vip"},
        {"wrong type", salon + "/walk-ins", R"({"customer":{"name":7},"services":["HC"]})", 422, "wrong_type",
         "customer.name"},
        {"missing field", salon + "/walk-ins", R"({"customer":{"name":"Bo"}})", 422, "missing_field", "services"},
        {"malformed JSON", salon + "/walk-ins", R"({"customer":)", 400, "malformed_json", ""},
        {"a path id in the body", salon + "/tickets/1/skip", R"({"ticketId":2,"reason":"gone"})", 422, "unknown_field",
         "ticketId"},
        {"a ticket id that is not a number", salon + "/tickets/abc/skip", R"({"reason":"gone"})", 400, "invalid_value",
         "ticketId"},
        // A number out of range is 422 however long (it was 400 past 18 digits: openapi.yaml says 422).
        {"a ticket id out of range", salon + "/tickets/1000000000001/skip", R"({"reason":"gone"})", 422, "out_of_range",
         "ticketId"},
        {"a ticket id past 64 bits", salon + "/tickets/99999999999999999999/skip", R"({"reason":"gone"})", 422,
         "out_of_range", "ticketId"},
        {"an invalid salon id", "/v1/salons/s%201/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})", 400,
         "invalid_value", "salonId"},
    };
    for (auto const& r : rows) {
        CAPTURE(r.name);
        auto const a = c.post(r.target, r.body);
        CHECK(a.status == r.status);
        CHECK(json_string(a.body, "/error/code") == r.code);
        if (*r.field != '\0') {
            CHECK(json_string(a.body, "/error/field") == r.field);
        }
    }
    auto const bad_key = walk_in(c, "has space");
    CHECK(bad_key.status == 400);
    CHECK(json_string(bad_key.body, "/error/field") == "Idempotency-Key");
    // An If-Match beyond what the log's expectedSeq holds (2^63 - 1) is refused here, not written to the log.
    for (auto const* seq : {"\"9999999999999999999\"", "9223372036854775808", "\"1000000000000000000\"", "x1", "\""}) {
        CAPTURE(seq);
        auto const a =
            c.post(salon + "/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})", {{"If-Match", seq}});
        CHECK(a.status == 400);
        CHECK(json_string(a.body, "/error/field") == "If-Match");
    }
    for (auto const* nothing : {"{}", "", " { } "}) { // a configuration change that changes nothing
        CAPTURE(nothing);
        auto const a = c.request(bhttp::verb::patch, salon + "/config", nothing);
        CHECK(a.status == 422);
        CHECK(json_string(a.body, "/error/code") == "missing_field");
    }
    for (auto const* out_of_range : {R"({"loyaltyCentsPerPoint":0})", R"({"maxWaiting":2601})",
                                     R"({"priorityDailyLimit":-1})", R"({"maxWaiting":10,"priorityDailyLimit":21})"}) {
        CAPTURE(out_of_range); // the engine would refuse (and record) it: refused here, with the field, unwritten
        auto const a = c.request(bhttp::verb::patch, salon + "/config", out_of_range);
        CHECK(a.status == 422);
        CHECK(json_string(a.body, "/error/code") == "invalid_value");
        CHECK_FALSE(json_string(a.body, "/error/field").empty());
    }
    auto const text =
        c.request(bhttp::verb::post, salon + "/walk-ins", "name=Bo", {{"Content-Type", "text/plain"}}, false);
    CHECK(text.status == 415);
    // Nothing of the refused requests reached the log: the salon's first walk-in is still at position 1.
    CHECK(json_int(walk_in(c).body, "/ticket/position") == 1);
}

TEST_CASE("http: routes, methods and limits") {
    salonq::api::http::server_options options;
    options.max_body_bytes = 1024;
    options.max_header_bytes = 2048;
    http_fixture server{options};
    http_client c{server.port(), server.admin_token()};

    auto const missing = c.get("/v1/nothing");
    CHECK(missing.status == 404);
    CHECK(json_string(missing.body, "/error/code") == "not_found");

    auto const wrong = c.request(bhttp::verb::delete_, salon + "/walk-ins");
    CHECK(wrong.status == 405);
    CHECK(wrong.header("Allow") == "POST");
    CHECK(c.request(bhttp::verb::head, salon + "/walk-ins").header("Allow") == "POST");
    auto const twice = c.get(salon + "/events?after=1&limit=5&after=2"); // which one would count?
    CHECK(twice.status == 400);
    CHECK(json_string(twice.body, "/error/field") == "after");
    CHECK(c.request(bhttp::verb::post, "/healthz", "{}").header("Allow") == "GET, HEAD");

    SUBCASE("HEAD is a GET without the body, on the same connection") {
        auto const got = c.get("/healthz");
        auto const head = c.request(bhttp::verb::head, "/healthz");
        CHECK(head.status == 200);
        CHECK(head.body.empty());
        CHECK(head.header("Content-Length") == std::to_string(got.body.size()));
        CHECK(head.header("Content-Type") == got.header("Content-Type"));
        auto const unknown = c.request(bhttp::verb::head, "/v1/nothing");
        CHECK(unknown.status == 404);
        CHECK(unknown.body.empty());
        CHECK(c.get("/healthz").status == 200); // the connection is still in step
    }

    SUBCASE("a body over the limit is 413 and the connection closes") {
        auto const big = c.post(salon + "/walk-ins", std::string(2000, ' ') + "{}");
        CHECK(big.status == 413);
        CHECK(c.closed_by_server());
    }
    SUBCASE("headers over the limit are 431") {
        auto const big = c.get("/healthz", {{"X-Filler", std::string(4000, 'x')}});
        CHECK(big.status == 431);
    }
    SUBCASE("a request that is not HTTP is 400") {
        auto const junk = c.raw("HELLO\r\n\r\n");
        CHECK(junk.status == 400);
        CHECK(json_string(junk.body, "/error/code") == "malformed_request");
    }
    SUBCASE("keep-alive: many requests on one connection") {
        for (int i = 0; i < 50; ++i) {
            REQUIRE(c.get("/healthz").status == 200);
        }
    }
}

TEST_CASE("http: a connection that sends its request too slowly is closed (slowloris)") {
    salonq::api::http::server_options options;
    options.request_timeout = std::chrono::milliseconds{300};
    http_fixture server{options};
    http_client c{server.port(), server.admin_token()};
    c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n"); // and never the blank line
    auto const t0 = std::chrono::steady_clock::now();
    CHECK(c.closed_by_server());
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds{5});
}

TEST_CASE("http: past the connection cap a new connection is told 503") {
    salonq::api::http::server_options options;
    options.max_connections = 2;
    http_fixture server{options};
    http_client a{server.port(), server.admin_token()};
    http_client b{server.port(), server.admin_token()};
    REQUIRE(a.get("/healthz").status == 200);
    REQUIRE(b.get("/healthz").status == 200);
    http_client third{server.port(), server.admin_token()};
    auto const refused = third.get("/healthz");
    CHECK(refused.status == 503);
    CHECK(refused.header("Retry-After") == "1");
}

TEST_CASE("http: read-your-writes: a POST is answered only once the queue view shows it, however slow the views") {
    // The views are applied on their own thread; here each apply first sleeps 150 ms, so an answer that did not wait
    // for them would reach the client long before the view moved on, and the GET right after it would miss it.
    std::atomic<bool> slow{false};
    http_fixture server{salonq::test::unlimited(), [&slow] {
                            if (slow.load()) {
                                std::this_thread::sleep_for(std::chrono::milliseconds{150});
                            }
                        }};
    http_client c{server.port(), server.admin_token()};
    open_salon_over_http(c);
    slow = true;
    for (int i = 1; i <= 3; ++i) {
        auto const r = walk_in(c);
        REQUIRE(r.status == 201);
        CHECK(json_int(r.body, "/ticket/position") == i);
        auto const q = c.get(salon + "/queue");
        REQUIRE(q.status == 200);
        auto const ticket = json_int(r.body, "/ticket/ticketId");
        CHECK(json_int(q.body, "/waiting/" + std::to_string(i - 1) + "/ticketId") == ticket);
        CHECK(q.header("ETag") == "\"" + std::to_string(json_int(q.body, "/seq")) + "\"");
    }
    // A retry of a decided command (answered from the dedupe index) is held back the same way.
    auto const first = walk_in(c, "ryw-1");
    REQUIRE(first.status == 201);
    CHECK(walk_in(c, "ryw-1").body == first.body);
    CHECK(json_int(c.get(salon + "/queue").body, "/waiting/3/ticketId") == json_int(first.body, "/ticket/ticketId"));
}

TEST_CASE("http: read-your-writes after a 202: the command's outcome is visible only once the queue shows it") {
    std::atomic<bool> slow{false};
    auto options = salonq::test::unlimited();
    options.decision_wait = std::chrono::milliseconds{50};
    http_fixture server{options, [&slow] {
                            if (slow.load()) {
                                std::this_thread::sleep_for(std::chrono::milliseconds{400});
                            }
                        }};
    http_client c{server.port(), server.admin_token()};
    open_salon_over_http(c);
    slow = true;
    auto const r = walk_in(c, "late-1");
    REQUIRE(r.status == 202); // the views take 400 ms, the answer waits 50
    http_answer polled;
    int pending = 0;
    for (int i = 0; i < 200; ++i) {
        polled = c.get(r.header("Location"));
        if (polled.status != 202) {
            break;
        }
        ++pending; // while undecided, the poll says so, as the POST did (not 404: it is known here)
        CHECK(polled.body == r.body);
        CHECK(polled.header("Location") == r.header("Location"));
        CHECK(polled.header("Retry-After") == "1");
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    CHECK(pending > 0);
    REQUIRE(polled.status == 201);
    auto const ticket = json_int(polled.body, "/ticket/ticketId");
    CHECK(json_int(c.get(salon + "/queue").body, "/waiting/0/ticketId") == ticket); // told only once it shows
    CHECK(walk_in(c, "late-1").body == polled.body); // and the same bytes as a retry's, the join estimate included
}

TEST_CASE("http: a decision that takes longer than decision_wait is 202 with where to find it") {
    salonq::api::http::server_options options;
    options.decision_wait = std::chrono::milliseconds{0};
    http_fixture server{options};
    http_client c{server.port(), server.admin_token()};
    auto const r = c.request(bhttp::verb::put, salon, R"({"name":"Cuts","timezone":"Europe/London"})",
                             {{"Idempotency-Key", "reg-1"}});
    if (r.status == 202) { // the engine may still win the race against a zero wait
        CHECK(r.header("Location") == salon + "/commands/reg-1");
        http_answer later;
        for (int i = 0; i < 100; ++i) {
            later = c.get(r.header("Location"));
            if (later.status != 202) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
        CHECK(later.status == 201);
    } else {
        CHECK(r.status == 201);
    }
}

TEST_CASE("http: 32 clients at once on one salon: unique tokens, no ticket started twice") {
    http_fixture server;
    {
        http_client c{server.port(), server.admin_token()};
        open_salon_over_http(c);
        REQUIRE(c.request(bhttp::verb::patch, salon + "/config", R"({"maxWaiting":1000})").status == 200);
        for (int s = 0; s < 8; ++s) {
            auto const id = "st" + std::to_string(s);
            REQUIRE(c.post(salon + "/staff", R"({"staffId":")" + id + R"(","name":"S","role":"staff"})").status == 201);
            REQUIRE(c.post(salon + "/staff/" + id + "/clock-in", "").status == 200);
        }
    }
    std::mutex m;
    std::multiset<std::string> tokens;
    std::multiset<std::int64_t> started;
    std::atomic<int> failures{0};
    std::vector<std::thread> clients;
    clients.reserve(32);
    auto const admin = server.admin_token();
    for (int t = 0; t < 32; ++t) {
        clients.emplace_back([&, t] {
            http_client c{server.port(), admin};
            for (int i = 0; i < 20; ++i) {
                auto const r = walk_in(c);
                if (r.status != 201) {
                    ++failures;
                    continue;
                }
                std::lock_guard lock(m);
                tokens.insert(json_string(r.body, "/ticket/token"));
            }
            if (t < 8) { // each staff member starts tickets as fast as they can
                auto const staff = "st" + std::to_string(t);
                for (int i = 0; i < 10; ++i) {
                    auto const r = c.post(salon + "/start-next", R"({"staffId":")" + staff + R"("})");
                    if (r.status == 200) {
                        std::lock_guard lock(m);
                        started.insert(json_int(r.body, "/events/0/payload/ticketId"));
                        auto const done =
                            c.post(salon + "/tickets/" +
                                       std::to_string(json_int(r.body, "/events/0/payload/ticketId")) + "/complete",
                                   R"({"amountCents":2000})");
                        if (done.status != 200) {
                            ++failures;
                        }
                    }
                }
            }
        });
    }
    for (auto& t : clients) {
        t.join();
    }
    CHECK(failures.load() == 0);
    CHECK(tokens.size() == 32 * 20);
    std::set<std::int64_t> const unique_started(started.begin(), started.end());
    CHECK(unique_started.size() == started.size());
    CHECK(!started.empty());
    // No two active tickets hold the same token, and every walk-in not completed is still active.
    auto state = server.engine().state(salonq::engine::salon_id{"s1"});
    REQUIRE(state);
    REQUIRE(state->has_value());
    std::set<std::string> active_tokens;
    for (auto const& t : (**state).tickets) {
        active_tokens.insert(t.tok.str());
    }
    CHECK(active_tokens.size() == (**state).tickets.size());
    CHECK((**state).tickets.size() == std::size_t{640} - started.size());
}

TEST_CASE("http: /metrics counts requests and decisions, and promtool accepts it") {
    http_fixture server;
    http_client c{server.port(), server.admin_token()};
    open_salon_over_http(c);
    (void)walk_in(c);
    (void)c.post(salon + "/tickets/99/complete", R"({"amountCents":1})");
    auto const m = c.get("/metrics");
    REQUIRE(m.status == 200);
    CHECK(m.header("Content-Type").starts_with("text/plain; version=0.0.4"));
    CHECK(m.body.find(
              R"(salonq_http_requests_total{route="/v1/salons/{salonId}/walk-ins",method="POST",status="201"} 1)") !=
          std::string::npos);
    CHECK(m.body.find(R"(salonq_commands_total{type="walk_in",outcome="accepted",reason=""} 1)") != std::string::npos);
    CHECK(m.body.find(R"(salonq_commands_total{type="complete",outcome="rejected",reason="ticket_not_found"} 1)") !=
          std::string::npos);
    CHECK(m.body.find("salonq_http_connections 1") != std::string::npos);

    salonq::test::temp_dir dir;
    auto const file = dir / "metrics.txt";
    {
        std::ofstream out{file};
        out << m.body;
    }
    auto const rc =
        std::system(("promtool check metrics < '" + file + "' > '" + (dir / "promtool.txt") + "' 2>&1").c_str());
    std::ifstream report{dir / "promtool.txt"};
    std::string const text{std::istreambuf_iterator<char>{report}, {}};
    CAPTURE(text);
    CHECK(rc == 0);
}

TEST_CASE("http: past a token's rate that token is 429, another token from the same address is not") {
    salonq::api::http::server_options options;
    options.client_rate = 0; // no per-address limit: only the tokens' buckets
    options.token_rate = 1;
    options.token_burst = 2;
    http_fixture server{options};
    using salonq::api::auth::role;
    http_client busy{server.port(), server.token(role::dashboard, "s1")};
    http_client other{server.port(), server.token(role::dashboard, "s1")};
    for (int i = 0; i < 2; ++i) {
        REQUIRE(busy.get(salon + "/queue").status != 429);
    }
    auto const limited = busy.get(salon + "/queue");
    CHECK(limited.status == 429);
    CHECK(limited.header("Retry-After") == "1");
    CHECK(json_string(limited.body, "/error/code") == "rate_limited");
    CHECK(other.get(salon + "/queue").status != 429);
    CHECK(busy.get("/healthz").status == 200); // health takes no token, so no token's bucket
}

TEST_CASE("http: CORS answers a configured origin's preflight and calls, and no other origin") {
    auto options = salonq::test::unlimited();
    options.cors_origins = {"https://desk.example"};
    http_fixture server{options};
    http_client c{server.port()};
    auto const preflight = c.request(bhttp::verb::options, salon + "/walk-ins", {},
                                     {{"Origin", "https://desk.example"},
                                      {"Access-Control-Request-Method", "POST"},
                                      {"Access-Control-Request-Headers", "authorization, content-type"}});
    CHECK(preflight.status == 204);
    CHECK(preflight.header("Access-Control-Allow-Origin") == "https://desk.example");
    CHECK(preflight.header("Access-Control-Allow-Methods") == "POST");
    CHECK(preflight.header("Access-Control-Allow-Headers").find("Idempotency-Key") != std::string::npos);
    CHECK(preflight.header("Vary") == "Origin");

    http_client desk{server.port(), server.token(salonq::api::auth::role::dashboard, "s1")};
    auto const call = desk.get(salon + "/queue", {{"Origin", "https://desk.example"}});
    CHECK(call.header("Access-Control-Allow-Origin") == "https://desk.example");
    CHECK(call.header("Access-Control-Expose-Headers").find("ETag") != std::string::npos);

    auto const stranger = c.request(bhttp::verb::options, salon + "/walk-ins", {},
                                    {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    CHECK(stranger.header("Access-Control-Allow-Origin").empty());
    CHECK(
        desk.get(salon + "/queue", {{"Origin", "https://evil.example"}}).header("Access-Control-Allow-Origin").empty());
}

TEST_CASE("http: past a client's rate the answer is 429 with Retry-After") {
    salonq::api::http::server_options options;
    options.client_rate = 1;
    options.client_burst = 3;
    http_fixture server{options};
    http_client c{server.port(), server.admin_token()};
    for (int i = 0; i < 3; ++i) {
        REQUIRE(c.get("/healthz").status == 200);
    }
    auto const limited = c.get("/healthz");
    CHECK(limited.status == 429);
    CHECK(limited.header("Retry-After") == "1");
    CHECK(json_string(limited.body, "/error/code") == "rate_limited");
}

TEST_CASE("http: request ids are unique across requests and threads: r- and 32 hex digits") {
    std::set<std::string> ids;
    auto const take = [&ids](int n) {
        for (int i = 0; i < n; ++i) {
            auto const id = salonq::api::http::request_id();
            CHECK(id.size() == 34);
            CHECK(id.starts_with("r-"));
            CHECK(id.find_first_not_of("0123456789abcdef", 2) == std::string::npos);
            ids.insert(id);
        }
    };
    take(100);
    std::thread other{take, 100}; // its own random start
    other.join();
    CHECK(ids.size() == 200);
}

} // namespace http_server_test
