// Notifications over HTTP (labels embedded, http): a real serve stack (engine, views, the notifier's store) and a
// real webhook receiver on loopback. A webhook set over HTTP is called, signed with its secret; the secret is never
// read back; a failing receiver's dead letters are listed and re-driven; bad bodies write nothing; another salon's
// token reaches nothing.

#include "test/support/http_client.hpp"
#include "test/support/http_server.hpp"
#include "test/support/json_at.hpp"
#include "test/support/webhook_receiver.hpp"

#include <boost/asio/ip/host_name.hpp>
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_notify_test {

namespace {

using salonq::test::int_at;
using salonq::test::text_at;

using salonq::api::auth::role;
using salonq::test::http_client;
using salonq::test::http_fixture;
using salonq::test::receiver;
namespace bhttp = boost::beast::http;
using std::chrono::milliseconds;

constexpr std::string_view secret = "whsec-0123456789-abcdefghij";
constexpr std::string_view settings_path = "/v1/salons/s1/notifications";
constexpr std::string_view dead_path = "/v1/salons/s1/notifications/dead-letters";
constexpr std::string_view redrive_path = "/v1/salons/s1/notifications/dead-letters/redrive";

salonq::notify::service_options quick_notifier(bool allow_private) {
    salonq::notify::service_options o;
    o.poll = milliseconds{50};
    o.timeout = milliseconds{300};
    o.retry = salonq::notify::retry_policy{milliseconds{50}, milliseconds{200}, 3};
    o.allow_private = allow_private; // the receiver is on loopback: refused unless allowed
    return o;
}

struct salon_server {
    http_fixture server;
    receiver hook{std::string{secret}};

    explicit salon_server(bool allow_private = true)
        : server{salonq::test::unlimited(), {}, quick_notifier(allow_private)} {
        open("s1");
        open("s2");
    }
    void open(std::string const& salon) const {
        http_client admin{server.port(), server.admin_token()};
        auto const base = "/v1/salons/" + salon;
        REQUIRE(admin.request(bhttp::verb::put, base, R"({"name":"Cuts","timezone":"Europe/London"})").status == 201);
        REQUIRE(admin
                    .request(bhttp::verb::patch, base + "/config",
                             R"({"services":[{"code":"HC","name":"Cut","priceCents":2000,"durationMin":30}]})")
                    .status == 200);
        REQUIRE(admin.post(base + "/staff", R"({"staffId":"ana","name":"Ana","role":"owner"})").status == 201);
        REQUIRE(admin.post(base + "/staff/ana/clock-in", "").status == 200);
    }
    [[nodiscard]] std::string owner(std::string const& salon = "s1") const {
        return server.token(role::owner, salon, "ana");
    }
    [[nodiscard]] std::string settings(std::string_view extra = "") const {
        return fmt::format(R"({{"url":"{}","secret":"{}"{}}})", hook.url(), secret, extra);
    }
    void walk_in(int n) const {
        http_client c{server.port(), owner()};
        for (int i = 0; i < n; ++i) {
            REQUIRE(c.post("/v1/salons/s1/walk-ins",
                           fmt::format(
                               R"({{"customer":{{"name":"C{}","phone":"+44 7700 90012{}"}},"services":["HC"]}})", i, i))
                        .status == 201);
        }
    }
};

// Waits until `check` holds for the body of GET `target` (or the time is up).
bool eventually(http_client& c, std::string const& target, auto check) {
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (std::chrono::steady_clock::now() < until) {
        if (auto const a = c.get(target); a.status == 200 && check(a.body)) {
            return true;
        }
        std::this_thread::sleep_for(milliseconds{50});
    }
    return false;
}

} // namespace

TEST_CASE("notifications over HTTP: the webhook set over HTTP is called, signed; the secret is never read back") {
    salon_server s;
    http_client owner{s.server.port(), s.owner()};
    auto const put = owner.request(bhttp::verb::put, std::string{settings_path}, s.settings(R"(,"almostAt":1)"));
    REQUIRE_MESSAGE(put.status == 200, put.body);
    CHECK(text_at(put.body, "/url") == s.hook.url());
    CHECK(put.body.find(R"("secretSet":true)") != std::string::npos);
    CHECK(int_at(put.body, "/almostAt") == 1);

    s.walk_in(1);
    REQUIRE(owner.post("/v1/salons/s1/start-next", R"({"staffId":"ana"})").status == 200);
    REQUIRE(s.hook.wait_ok(2)); // almost_your_turn (position 1), then called
    std::this_thread::sleep_for(milliseconds{200});
    auto const seen = s.hook.seen();
    CHECK(seen.bad_signatures == 0); // every request verified with the secret set over HTTP
    REQUIRE(seen.notifications.size() == 2);
    std::set<std::string> kinds;
    for (auto const& n : seen.notifications) {
        kinds.insert(std::string{salonq::notify::to_string(n.kind)});
        CHECK(n.salon.value() == "s1");
    }
    CHECK(kinds == std::set<std::string>{"almost_your_turn", "called"});
    for (auto const& h : seen.headers) {
        CHECK(h.starts_with("t="));
        CHECK(h.find(",v1=") != std::string::npos);
    }

    // The receiver counts a notification as it answers; the notifier marks it delivered (out of the outbox, then
    // counted) only once that answer reaches it: wait for both, not a fixed time.
    REQUIRE(
        eventually(owner, std::string{settings_path}, [](std::string const& b) { return int_at(b, "/pending") == 0; }));
    auto const got = owner.get(std::string{settings_path});
    REQUIRE(got.status == 200);
    CHECK(got.body.find(R"("configured":true)") != std::string::npos);
    CHECK(int_at(got.body, "/pending") == 0);
    CHECK(int_at(got.body, "/deadLetters") == 0);
    http_client admin{s.server.port(), s.server.admin_token()};
    for (auto const& target : {std::string{settings_path}, std::string{dead_path}, std::string{"/metrics"}}) {
        auto const a = admin.get(target);
        CAPTURE(target);
        CHECK(a.status == 200);
        CHECK(a.body.find(secret) == std::string::npos);
    }
    CHECK(eventually(admin, "/metrics", [](std::string const& b) {
        return b.find("salonq_notify_delivered_total 2") != std::string::npos;
    }));

    // Those who may set the webhook read it whole; an analyst reads the scheme and host only (hooks carry secrets
    // in their paths).
    auto const hook_url = s.hook.url();
    auto const origin = hook_url.substr(0, hook_url.find('/', std::string_view{"http://"}.size()));
    CHECK(text_at(admin.get(std::string{settings_path}).body, "/url") == hook_url);
    http_client manager{s.server.port(), s.server.token(role::manager, "s1", "ana")};
    CHECK(text_at(manager.get(std::string{settings_path}).body, "/url") == hook_url);
    http_client analyst{s.server.port(), s.server.token(role::analyst, "s1")};
    auto const redacted = analyst.get(std::string{settings_path});
    REQUIRE(redacted.status == 200);
    CHECK(text_at(redacted.body, "/url") == origin + "/\u2026");
    CHECK(redacted.body.find("/hooks/salonq") == std::string::npos);
}

TEST_CASE("notifications over HTTP: private webhook addresses are refused unless the server allows them") {
    salon_server s{false};
    http_client owner{s.server.port(), s.owner()};
    auto const port =
        s.hook.url().substr(0, s.hook.url().find("/hooks")).substr(std::string_view{"http://127.0.0.1:"}.size());
    for (auto const* host : {"127.0.0.1", "169.254.169.254", "10.0.0.1", "192.168.1.20", "localhost", "[::1]",
                             "[fd00::5]", "[fe80::1]", "[::ffff:127.0.0.1]"}) {
        CAPTURE(host);
        auto const a =
            owner.request(bhttp::verb::put, std::string{settings_path},
                          fmt::format(R"({{"url":"http://{}:{}/hooks/salonq","secret":"{}"}})", host, port, secret));
        CHECK(a.status == 422);
        CHECK(text_at(a.body, "/error/code") == "invalid_value");
        CHECK(text_at(a.body, "/error/field") == "url");
        CHECK(text_at(a.body, "/error/message").starts_with("a private, loopback or link-local address")); // parsed
    }
    CHECK(owner.get(std::string{settings_path}).body.find(R"("configured":false)") != std::string::npos);

    // The older spellings of the loopback are literals too (the resolver reads them as 127.0.0.1).
    for (auto const* host : {"127.1", "0x7f000001", "2130706433"}) {
        CAPTURE(host);
        CHECK(owner
                  .request(bhttp::verb::put, std::string{settings_path},
                           fmt::format(R"({{"url":"http://{}:{}/hooks/salonq","secret":"{}"}})", host, port, secret))
                  .status == 422);
    }
    // A public IPv6 literal is taken, in brackets as written.
    auto const v6 = fmt::format(R"({{"url":"https://[2606:4700::1111]:8443/in","secret":"{}"}})", secret);
    CHECK(owner.request(bhttp::verb::put, std::string{settings_path}, v6).status == 200);
    CHECK(text_at(owner.get(std::string{settings_path}).body, "/url") == "https://[2606:4700::1111]:8443/in");
    // A name passes the PUT; the address it resolves to is refused when connecting. The machine's own name: /etc/hosts
    // maps it to the loopback (Debian: 127.0.1.1), a container's to its private address.
    REQUIRE(owner
                .request(bhttp::verb::put, std::string{settings_path},
                         fmt::format(R"({{"url":"http://{}:{}/hooks/salonq","secret":"{}","maxAttempts":2}})",
                                     boost::asio::ip::host_name(), port, secret))
                .status == 200);
    s.walk_in(1);
    REQUIRE(eventually(owner, std::string{settings_path}, [](std::string const& b) {
        return int_at(b, "/deadLetters") == 1 && int_at(b, "/pending") == 0;
    }));
    http_client analyst{s.server.port(), s.server.token(role::analyst, "s1")};
    auto const dead = analyst.get(std::string{dead_path});
    REQUIRE(dead.status == 200);
    CHECK(text_at(dead.body, "/deadLetters/0/lastError") == "refused: private address");
    CHECK(s.hook.seen().requests.empty()); // never connected to
}

TEST_CASE("notifications over HTTP: a failing receiver's dead letters are listed, paged and re-driven") {
    salon_server s;
    http_client owner{s.server.port(), s.owner()};
    s.hook.set(receiver::mode::fail);
    REQUIRE(owner.request(bhttp::verb::put, std::string{settings_path}, s.settings(R"(,"maxAttempts":2)")).status ==
            200);
    s.walk_in(2); // almost_your_turn for both (default position 3)
    REQUIRE(eventually(owner, std::string{settings_path}, [](std::string const& b) {
        return int_at(b, "/deadLetters") == 2 && int_at(b, "/pending") == 0;
    }));

    auto const first = owner.get(std::string{dead_path} + "?limit=1");
    REQUIRE(first.status == 200);
    CHECK(text_at(first.body, "/deadLetters/0/kind") == "almost_your_turn");
    CHECK(int_at(first.body, "/deadLetters/0/ticketId") == 1);
    CHECK(int_at(first.body, "/deadLetters/0/attempts") == 2);
    CHECK(text_at(first.body, "/deadLetters/0/lastError") == "http 500");
    auto const cursor = text_at(first.body, "/nextAfter");
    CHECK(cursor == text_at(first.body, "/deadLetters/0/id"));
    auto const second = owner.get(std::string{dead_path} + "?limit=1&after=" + cursor);
    REQUIRE(second.status == 200);
    CHECK(int_at(second.body, "/deadLetters/0/ticketId") == 2);
    auto const last = owner.get(std::string{dead_path} + "?limit=1&after=" + text_at(second.body, "/nextAfter"));
    CHECK(last.body == R"({"salonId":"s1","deadLetters":[]})");

    // An analyst reads them, may not re-drive them.
    http_client analyst{s.server.port(), s.server.token(role::analyst, "s1")};
    CHECK(analyst.get(std::string{dead_path}).status == 200);
    CHECK(analyst.post(std::string{redrive_path}, "").status == 403);

    s.hook.set(receiver::mode::ok);
    auto const one = owner.post(std::string{redrive_path} + "?id=" + cursor, "");
    REQUIRE(one.status == 200);
    CHECK(int_at(one.body, "/redriven") == 1);
    REQUIRE(s.hook.wait_ok(1));
    CHECK(s.hook.seen().ok == std::vector<std::string>{cursor});
    CHECK(owner.post(std::string{redrive_path} + "?id=" + cursor, "").status == 404); // not dead any more
    auto const rest = owner.post(std::string{redrive_path}, "");
    REQUIRE(rest.status == 200);
    CHECK(int_at(rest.body, "/redriven") == 1);
    CHECK(int_at(rest.body, "/remaining") == 0);
    REQUIRE(s.hook.wait_ok(2));
    CHECK(eventually(owner, std::string{settings_path}, [](std::string const& b) {
        return int_at(b, "/deadLetters") == 0 && int_at(b, "/pending") == 0;
    }));
}

TEST_CASE("notifications over HTTP: bad bodies are refused by field and write nothing") {
    salon_server s;
    http_client owner{s.server.port(), s.owner()};
    struct bad {
        std::string body;
        int status;
        std::string code;
        std::string field;
    };
    auto const url = s.hook.url();
    for (auto const& b : std::vector<bad>{
             {R"({"url":)", 400, "malformed_json", "<none>"},
             {"[1]", 422, "wrong_type", "<none>"},
             {s.settings(R"(,"almostYourTurnAt":2)"), 422, "unknown_field", "almostYourTurnAt"},
             {s.settings(R"(,"maxAttempts":"3")"), 422, "wrong_type", "maxAttempts"},
             {s.settings(R"(,"maxAttempts":0)"), 422, "out_of_range", "maxAttempts"},
             {s.settings(R"(,"almostAt":51)"), 422, "out_of_range", "almostAt"},
             {fmt::format(R"({{"url":"{}","secret":"short"}})", url), 422, "invalid_value", "secret"},
             {fmt::format(R"({{"url":"{}","secret":"0123456789 abcdef"}})", url), 422, "invalid_value", "secret"},
             {fmt::format(R"({{"url":"ftp://x/","secret":"{}"}})", secret), 422, "invalid_value", "url"},
             {fmt::format(R"({{"url":"http://u:p@x/","secret":"{}"}})", secret), 422, "invalid_value", "url"},
             {fmt::format(R"({{"secret":"{}"}})", secret), 422, "missing_field", "url"},
             {fmt::format(R"({{"url":"{}","secret":"{}"}})", std::string(3000, 'a'), secret), 422, "too_long", "url"},
         }) {
        CAPTURE(b.body);
        auto const a = owner.request(bhttp::verb::put, std::string{settings_path}, b.body);
        CHECK(a.status == b.status);
        CHECK(text_at(a.body, "/error/code") == b.code);
        if (b.field != "<none>") {
            CHECK(text_at(a.body, "/error/field") == b.field);
        }
        CHECK(a.body.find(secret) == std::string::npos); // not even echoed in an error
    }
    auto const got = owner.get(std::string{settings_path});
    REQUIRE(got.status == 200);
    CHECK(got.body == R"({"salonId":"s1","configured":false,"pending":0,"deadLetters":0})");

    CHECK(owner.get(std::string{dead_path} + "?limit=0").status == 400);
    CHECK(owner.get(std::string{dead_path} + "?limit=1001").status == 400);
    CHECK(owner.post(std::string{redrive_path}, R"({"all":true})").status == 422);
    CHECK(owner.post(std::string{redrive_path} + "?id=s1:9:called:1", "").status == 404);
    http_client admin{s.server.port(), s.server.admin_token()};
    CHECK(admin.request(bhttp::verb::put, "/v1/salons/nobody/notifications", s.settings()).status == 404);
    CHECK(admin.get("/v1/salons/bad%20id/notifications").status == 400);
}

TEST_CASE("notifications over HTTP: a token of another salon, or a role without the right, reaches nothing") {
    salon_server s;
    http_client admin{s.server.port(), s.server.admin_token()};
    REQUIRE(admin
                .request(bhttp::verb::put, "/v1/salons/s2/notifications",
                         fmt::format(R"({{"url":"http://127.0.0.1:9/s2","secret":"{}"}})", secret))
                .status == 200);
    http_client other{s.server.port(), s.owner("s2")};
    CHECK(other.request(bhttp::verb::put, std::string{settings_path}, s.settings()).status == 403);
    CHECK(other.get(std::string{settings_path}).status == 403);
    CHECK(other.get(std::string{dead_path}).status == 403);
    CHECK(other.post(std::string{redrive_path}, "").status == 403);
    CHECK(text_at(other.get("/v1/salons/s2/notifications").body, "/url") == "http://127.0.0.1:9/s2");
    CHECK(http_client{s.server.port(), s.owner("s1")}.get(std::string{settings_path}).body.find("configured\":false") !=
          std::string::npos); // s2's settings are s2's only

    for (auto r : {role::staff, role::dashboard, role::pos}) {
        CAPTURE(salonq::api::auth::to_string(r));
        auto const token = r == role::staff ? s.server.token(r, "s1", "ana") : s.server.token(r, "s1");
        http_client c{s.server.port(), token};
        CHECK(c.get(std::string{settings_path}).status == 403);
        CHECK(c.request(bhttp::verb::put, std::string{settings_path}, s.settings()).status == 403);
    }
    http_client manager{s.server.port(), s.server.token(role::manager, "s1", "ana")};
    CHECK(manager.request(bhttp::verb::put, std::string{settings_path}, s.settings()).status == 200);
    CHECK(http_client{s.server.port()}.get(std::string{settings_path}).status == 401);
}

} // namespace http_notify_test
