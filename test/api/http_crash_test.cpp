// salonq serve as a child process: kill -9 under POST load (between two state checkpoints) loses no acknowledged
// command and doubles none, and the states folded at the restart equal the log's fold (verify);
// SIGTERM stops it cleanly (exit 0) after answering what was in flight.

#include "test/support/http_client.hpp"
#include "test/support/serve_process.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_crash_test {

namespace {

using salonq::test::http_client;
using salonq::test::piped_process;
namespace bhttp = boost::beast::http;

using salonq::test::admin_token;
using salonq::test::serve_argv;
using salonq::test::start_serve;

} // namespace

TEST_CASE("http crash: kill -9 under POST load loses no acknowledged walk-in and doubles none") {
    salonq::test::temp_dir dir;
    auto const data = dir / "data";
    std::mutex m;
    std::set<std::string> acknowledged; // Idempotency-Keys that got a 2xx
    auto const admin = admin_token(data);
    {
        // No state checkpoint while it runs (the engine's states are a checkpoint of the log): the kill lands
        // between two, and the restart folds every walk-in since the open into the salon's state.
        auto argv = serve_argv(data);
        argv.insert(argv.begin() + 1, {"--state-checkpoint-ms", "3600000"});
        piped_process serve{argv};
        auto const port = start_serve(serve);
        {
            http_client c{port, admin};
            REQUIRE(
                c.request(bhttp::verb::put, "/v1/salons/s1", R"({"name":"Cuts","timezone":"Europe/London"})").status ==
                201);
            REQUIRE(
                c.request(
                     bhttp::verb::patch, "/v1/salons/s1/config",
                     R"({"maxWaiting":2600,"services":[{"code":"HC","name":"Cut","priceCents":1,"durationMin":5}]})")
                    .status == 200);
        }
        std::atomic<bool> killed{false};
        std::vector<std::thread> clients;
        clients.reserve(4);
        for (int t = 0; t < 4; ++t) {
            clients.emplace_back([&, t] {
                try {
                    http_client c{port, admin};
                    for (int i = 0; !killed.load() && i < 600; ++i) {
                        auto const key = "k" + std::to_string(t) + "-" + std::to_string(i);
                        auto const r =
                            c.post("/v1/salons/s1/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})",
                                   {{"Idempotency-Key", key}});
                        if (r.status / 100 == 2) {
                            std::lock_guard lock(m);
                            acknowledged.insert(key);
                        }
                    }
                } catch (std::exception const& e) { // the server died mid-request: that answer never came
                    MESSAGE("a client stopped at the kill: " << std::string{e.what()});
                }
            });
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{700});
        serve.kill(SIGKILL);
        killed = true;
        for (auto& t : clients) {
            t.join();
        }
    }
    REQUIRE(acknowledged.size() > 50);

    piped_process serve{serve_argv(data)};
    auto const port = start_serve(serve);
    http_client c{port, admin};
    for (auto const& key : acknowledged) {
        auto const r = c.get("/v1/salons/s1/commands/" + key);
        CAPTURE(key);
        CHECK(r.status == 201);
    }
    // Every walk-in in the log, once: a retry after the restart is a duplicate, not a second ticket.
    for (int i = 0; i < 600; i += 97) {
        auto const key = "k0-" + std::to_string(i);
        auto const again = c.post("/v1/salons/s1/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})",
                                  {{"Idempotency-Key", key}});
        if (acknowledged.contains(key)) {
            auto const first = c.get("/v1/salons/s1/commands/" + key);
            CHECK(again.body == first.body);
        }
    }
    serve.kill(SIGTERM);
    CHECK(serve.wait() == 0);

    piped_process verify{{salonq::test::salonq_binary(), "--data", data, "verify"}};
    std::string said;
    while (auto line = verify.read_line(std::chrono::seconds{60})) {
        said += *line + "\n";
    }
    CAPTURE(said);
    CHECK(said.find("verify: ok") != std::string::npos);
    CHECK(verify.wait() == 0);
}

TEST_CASE("http crash: SIGTERM answers the request in flight, then exits 0") {
    salonq::test::temp_dir dir;
    auto const admin = admin_token(dir / "data");
    piped_process serve{serve_argv(dir / "data")};
    auto const port = start_serve(serve);
    http_client idle{port}; // a kept-alive connection with nothing to say: closed by the stop
    REQUIRE(idle.get("/healthz").status == 200);
    http_client c{port, admin};
    REQUIRE(c.request(bhttp::verb::put, "/v1/salons/s1", R"({"name":"Cuts","timezone":"Europe/London"})").status ==
            201);
    serve.kill(SIGTERM);
    CHECK(serve.wait() == 0);
    CHECK(idle.closed_by_server());
}

} // namespace http_crash_test
