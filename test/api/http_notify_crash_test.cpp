// The notifier inside a real `salonq serve` process (labels embedded, http): killed -9 while it delivers, started
// again on the same data, the receiver ends with every expected notification id. Delivery is at least once: an id
// in flight when the process died may arrive twice (at most one per sender thread), so the test counts distinct ids,
// checks none is missing and none is unexpected, and bounds the repeats. The server's log never holds the secret.

#include "test/support/http_client.hpp"
#include "test/support/piped_process.hpp"
#include "test/support/process.hpp"
#include "test/support/webhook_receiver.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_notify_crash_test {

namespace {

using salonq::test::child_process;
using salonq::test::http_client;
using salonq::test::receiver;
namespace bhttp = boost::beast::http;
using std::chrono::milliseconds;

constexpr std::string_view secret = "whsec-crash-0123456789abcdef";
constexpr int senders = 4; // notify::service_options' default

std::string read_file(std::string const& path) {
    std::ifstream in{path};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// salonq serve on a free port, its stdout and stderr (with the access log) appended to `log`.
struct serve_process {
    std::string log;
    std::unique_ptr<child_process> proc;
    std::uint16_t port = 0;

    serve_process(std::string const& data, std::string log_path) : log(std::move(log_path)) {
        proc = std::make_unique<child_process>(
            std::vector<std::string>{salonq::test::salonq_binary(), "--data", data, "--log-level", "info", "serve",
                                     "--listen", "127.0.0.1:0", "--client-rate", "0", "--token-rate", "0",
                                     "--webhook-allow-private"}, // the receiver is on loopback
            log, true);
        constexpr std::string_view serving = "serving http://127.0.0.1:"; // then the port and a space
        auto const until = std::chrono::steady_clock::now() + std::chrono::seconds{30};
        while (port == 0 && std::chrono::steady_clock::now() < until) {
            auto const text = read_file(log);
            auto const at = text.find(serving);
            auto const end = at == std::string::npos ? at : text.find(' ', at + serving.size());
            if (end != std::string::npos) { // not std::regex: test/support/text_scan.hpp says why
                port =
                    static_cast<std::uint16_t>(std::stoi(text.substr(at + serving.size(), end - at - serving.size())));
            }
            std::this_thread::sleep_for(milliseconds{50});
        }
        REQUIRE(port != 0);
    }
};

std::string admin_token(std::string const& data) {
    salonq::test::piped_process issue{{salonq::test::salonq_binary(), "--data", data, "token", "issue", "--role",
                                       "admin", "--all-salons", "--ttl", "1h"}};
    auto token = issue.read_line(std::chrono::seconds{30});
    REQUIRE(token);
    REQUIRE(issue.wait() == 0);
    return *token;
}

void walk_ins(http_client& c, int from, int n) {
    for (int i = from; i < from + n; ++i) {
        auto const a =
            c.post("/v1/salons/s1/walk-ins", fmt::format(R"({{"customer":{{"name":"C{}"}},"services":["HC"]}})", i));
        REQUIRE(a.status == 201);
    }
}

// The ids the salon's events say must be told: "almost your turn" for each ticket issued (almostAt 50, nobody
// served, at most 50 tickets), `salon:seq:kind:ticket`.
std::set<std::string> expected_ids(http_client& c) {
    std::set<std::string> out;
    auto const page = c.get("/v1/salons/s1/events?limit=1000");
    REQUIRE(page.status == 200);
    simdjson::dom::parser parser;
    for (auto e : parser.parse(page.body)["events"].get_array()) {
        if (std::string_view{e["type"].get_string().value()} == "ticket_issued") {
            out.insert(fmt::format("s1:{}:almost_your_turn:{}", e["seq"].get_uint64().value(),
                                   e["payload"]["ticketId"].get_uint64().value()));
        }
    }
    return out;
}

} // namespace

TEST_CASE("notifications survive kill -9: every expected id arrives, repeats only for what was in flight") {
    salonq::test::temp_dir dir;
    auto const data = dir / "data";
    auto const token = admin_token(data);
    receiver hook{std::string{secret}};
    hook.set_delay(milliseconds{40}); // deliveries stay in flight a while: the kill lands among them

    {
        serve_process first{data, dir / "serve-1.log"};
        http_client c{first.port, token};
        REQUIRE(c.request(bhttp::verb::put, "/v1/salons/s1", R"({"name":"Cuts","timezone":"Europe/London"})").status ==
                201);
        REQUIRE(c.request(bhttp::verb::patch, "/v1/salons/s1/config",
                          R"({"services":[{"code":"HC","name":"Cut","priceCents":2000,"durationMin":30}]})")
                    .status == 200);
        REQUIRE(c.request(bhttp::verb::put, "/v1/salons/s1/notifications",
                          fmt::format(R"({{"url":"{}","secret":"{}","almostAt":50}})", hook.url(), secret))
                    .status == 200);
        walk_ins(c, 0, 30);
        REQUIRE(hook.wait_ok(6));
        first.proc->kill(SIGKILL);
        first.proc->wait();
    }
    auto const at_kill = hook.seen().ok.size();
    CAPTURE(at_kill);
    CHECK(at_kill < 30); // the kill came mid-stream (else this test shows nothing)

    serve_process second{data, dir / "serve-2.log"};
    http_client c{second.port, token};
    walk_ins(c, 30, 10);
    auto const expected = expected_ids(c);
    REQUIRE(expected.size() == 40);
    auto const distinct = [&] {
        auto const ok = hook.seen().ok;
        return std::set<std::string>{ok.begin(), ok.end()};
    };
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    while (distinct().size() < expected.size() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(milliseconds{50});
    }
    std::this_thread::sleep_for(milliseconds{300}); // anything still coming would be a repeat
    auto const seen = hook.seen();
    REQUIRE(std::set<std::string>{seen.ok.begin(), seen.ok.end()} == expected); // none missing, none unexpected
    CHECK(seen.bad_signatures == 0);
    CHECK(seen.ok.size() - expected.size() <= static_cast<std::size_t>(senders));
    MESSAGE(
        fmt::format("delivered before the kill: {}, repeats after it: {}", at_kill, seen.ok.size() - expected.size()));
    auto const settings = http_client{second.port, token}.get("/v1/salons/s1/notifications");
    CHECK(settings.body.find(R"("pending":0)") != std::string::npos);

    second.proc->kill(SIGTERM);
    CHECK(second.proc->wait() == 0);
    for (auto const* log : {"serve-1.log", "serve-2.log"}) {
        CAPTURE(log);
        auto const text = read_file(dir / log);
        bool const logged_the_put = text.find("PUT /v1/salons/{salonId}/notifications") != std::string::npos;
        CHECK(logged_the_put == (std::string_view{log} == "serve-1.log")); // the log is the one that was read
        CHECK(text.find(secret) == std::string::npos);
    }
}

} // namespace http_notify_crash_test
