// Commands answered 202: GET .../commands/{id} says "pending" while the decision is out, and once it failed, why and
// that the command may be sent again; a command never answered 202 here stays 404. The table's own rules (expiry,
// capacity) first, then the route over a real server on loopback, with a gateway whose decisions the test hands out
// (the embedded engine does not fail a command on demand; http_server_test polls a real slow decision).

#include "api/http/routes.hpp"
#include "api/http/server.hpp"
#include "api/http/unsettled_commands.hpp"
#include "api/serve/wiring.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_server.hpp"
#include "test/support/json_at.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>

#include <mutex>
#include <thread>
#include <vector>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace unsettled_commands_test {

namespace {

using salonq::api::command_gateway;
using salonq::api::gateway_error;
using salonq::api::http::unsettled_commands;
using namespace std::chrono_literals;

// A gateway that decides nothing by itself: submits wait until the test fails them.
class held_gateway final : public command_gateway {
public:
    void submit(salonq::engine::command, completion done) override {
        std::scoped_lock lock{mutex_};
        held_.push_back(std::move(done));
    }
    std::expected<std::optional<salonq::engine::runtime::outcome>, gateway_error>
    outcome_of(salonq::engine::salon_id const&, salonq::engine::command_id const&) override {
        return std::optional<salonq::engine::runtime::outcome>{};
    }
    std::optional<std::string> not_ready() override { return std::nullopt; }

    void fail_all(gateway_error const& why) {
        std::vector<completion> done;
        {
            std::scoped_lock lock{mutex_};
            done.swap(held_);
        }
        for (auto const& d : done) {
            d(std::unexpected(why));
        }
    }
    [[nodiscard]] std::size_t held() {
        std::scoped_lock lock{mutex_};
        return held_.size();
    }

private:
    std::mutex mutex_;
    std::vector<completion> held_;
};

} // namespace

TEST_CASE("unsettled_commands: pending until settled; a failure is kept for its time; the oldest go past capacity") {
    unsettled_commands table{3, 10min};
    auto const t0 = unsettled_commands::clock::now();
    CHECK_FALSE(table.find("s1", "c1", t0));
    table.pending("s1", "c1", t0);
    REQUIRE(table.find("s1", "c1", t0));
    CHECK_FALSE(table.find("s1", "c1", t0)->failure);
    CHECK_FALSE(table.find("s1c", "1", t0));     // salon and commandId are kept apart
    table.settled("s1", "c1", std::nullopt, t0); // decided: its outcome answers from now on
    CHECK_FALSE(table.find("s1", "c1", t0));
    table.pending("s1", "c2", t0);
    table.settled("s1", "c2", gateway_error{true, "disk full"}, t0 + 1s);
    REQUIRE(table.find("s1", "c2", t0 + 10min));
    CHECK(table.find("s1", "c2", t0 + 10min)->failure->message == "disk full");
    CHECK_FALSE(table.find("s1", "c2", t0 + 11min)); // past keep_failed
    table.pending("s1", "c3", t0 + 2s);
    table.pending("s1", "c4", t0 + 3s);
    table.pending("s1", "c5", t0 + 4s); // a fourth: the oldest (c2) goes
    CHECK(table.size() == 3);
    CHECK_FALSE(table.find("s1", "c2", t0 + 5s));
    CHECK(table.find("s1", "c3", t0 + 5s));
    table.pending("s1", "c3", t0 + 6s); // again: one entry, now the newest
    table.pending("s1", "c6", t0 + 7s);
    CHECK(table.find("s1", "c3", t0 + 8s));
    CHECK_FALSE(table.find("s1", "c4", t0 + 8s));
    CHECK(table.size() == 3);
}

TEST_CASE("http: GET .../commands/{id} after a 202: pending while out, then why it failed; unknown ids 404") {
    salonq::test::temp_dir dir;
    auto options = salonq::test::unlimited();
    options.port = 0;
    options.threads = 1;
    options.decision_wait = 20ms;
    auto auth = salonq::api::open_authenticator(dir.path(), std::nullopt, nullptr);
    REQUIRE_MESSAGE(auth.has_value(), auth.error());
    held_gateway gateway;
    salonq::api::http::metrics metrics;
    salonq::api::http::services ports{.options = options,
                                      .commands = gateway,
                                      .auth = **auth,
                                      .metrics = metrics,
                                      .clock = salonq::engine::wall_now,
                                      .log = salonq::logging::logger{"http"}};
    auto server = salonq::api::http::server::open(options, ports, salonq::api::http::api_routes());
    REQUIRE_MESSAGE(server.has_value(), server.error());
    std::thread running{[&] { (*server)->run(false); }};
    {
        auto const token = salonq::test::issue_token_for(dir.path(), salonq::api::auth::role::pos, "s1", std::nullopt,
                                                         1h, salonq::test::http_fixture::now());
        salonq::test::http_client c{(*server)->port(), token.token};
        auto const posted = c.post("/v1/salons/s1/walk-ins", R"({"customer":{"name":"Ana"},"services":["HC"]})",
                                   {{"Idempotency-Key", "k1"}});
        REQUIRE(posted.status == 202);
        auto const where = posted.header("Location");
        CHECK(where == "/v1/salons/s1/commands/k1");
        auto const pending = c.get(where);
        CHECK(pending.status == 202);
        CHECK(pending.body == posted.body);
        CHECK(pending.header("Retry-After") == "1");

        REQUIRE(gateway.held() == 1);
        gateway.fail_all(gateway_error{true, "the batch write failed: No space left on device"});
        salonq::test::http_answer failed;
        for (int i = 0; i < 200 && (failed = c.get(where)).status == 202; ++i) {
            std::this_thread::sleep_for(5ms);
        }
        CHECK(failed.status == 503);
        CHECK(salonq::test::text_at(failed.body, "/error/code") == "unavailable");
        CHECK(failed.body.find("No space left on device") != std::string::npos);
        CHECK(failed.body.find("send it again with the same Idempotency-Key") != std::string::npos);
        CHECK(failed.header("Retry-After") == "1");

        auto const other = c.get("/v1/salons/s1/commands/never-sent");
        CHECK(other.status == 404);
        CHECK(salonq::test::text_at(other.body, "/error/code") == "command_not_found");
        // Another salon's command of the same id is another command.
        auto const admin = salonq::test::issue_token_for(dir.path(), salonq::api::auth::role::admin, "", std::nullopt,
                                                         1h, salonq::test::http_fixture::now());
        salonq::test::http_client a{(*server)->port(), admin.token};
        CHECK(a.get("/v1/salons/s2/commands/k1").status == 404);
    }
    (*server)->stop();
    running.join();
}

} // namespace unsettled_commands_test
