// Kafka mode's HTTP API against a real broker: two api instances (`serve --role api`) and two engine workers
// (`serve --role engine`), all real processes. A walk-in POSTed to one instance is on the other's live stream; a
// retried POST gets the first answer byte for byte from either instance (the outcome index); a refusal is a 409;
// a restarted instance resumes its views from RocksDB; a token revoked with `token revoke --brokers` is refused by
// both instances.

#include "test/support/broker.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_salon.hpp"
#include "test/support/kafka_api.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;

constexpr int partitions = 4;
std::string const salon = "/v1/salons/k1";

http_answer walk_in(http_client& c, std::string const& key, std::string const& name) {
    return c.post(salon + "/walk-ins", R"({"customer":{"name":")" + name + R"("},"services":["HC"]})",
                  {{"Idempotency-Key", key}});
}

// Whether `token` is refused (401) by the instance within `limit`.
bool refused_within(std::uint16_t port, std::string const& token, std::chrono::seconds limit) {
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (http_client{port, token}.get(salon + "/queue").status == 401) {
            return true;
        }
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

} // namespace

TEST_CASE("kafka api: two api instances over two workers: live, retries, refusals, restart, revocation") {
    kafka_broker broker;
    create_topics(broker.bootstrap(), partitions);
    auto w1 = start_worker(broker, "w1", {"--session-timeout-ms", "3000"});
    auto w2 = start_worker(broker, "w2", {"--session-timeout-ms", "3000"});
    auto const keyring = broker.dir() / "keyring.json";
    auto const admin = issue_token(broker.dir() / "cli", keyring, {"--role", "admin", "--all-salons"});

    auto a = std::make_unique<api_instance>(broker, "a", keyring);
    api_instance b{broker, "b", keyring};
    a->wait_ready(60s);
    b.wait_ready(60s);
    http_client ca{a->port(), admin};
    http_client cb{b.port(), admin};
    open_salon_over_http(ca, salon);
    // B learns of the salon from the events topic, a moment after A answered (on a busy machine, seconds): until
    // then its live route says 404 salon_not_found, as a board would be told and retry.
    auto const b_knows = std::chrono::steady_clock::now() + 30s;
    while (cb.get(salon + "/queue").status != 200 && std::chrono::steady_clock::now() < b_knows) {
        std::this_thread::sleep_for(50ms);
    }
    REQUIRE(cb.get(salon + "/queue").status == 200);

    // B's live stream, opened before the walk-in reaches A.
    http_client live{b.port(), admin};
    live.send_raw("GET " + salon + "/live HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer " +
                  admin + "\r\n\r\n");
    REQUIRE(live.read_some_text(10s, "\n\n", 2).find("text/event-stream") != std::string::npos);

    auto const first = walk_in(ca, "pos7-1", "Zoe");
    REQUIRE_MESSAGE(first.status == 201, first.body);
    auto const frames = live.read_some_text(10s, "Zoe", 1);
    CHECK_MESSAGE(frames.find("Zoe") != std::string::npos, frames);

    {
        // A retry (same Idempotency-Key) through either instance: the first answer, byte for byte.
        auto const again_a = walk_in(ca, "pos7-1", "Zoe");
        auto const again_b = walk_in(cb, "pos7-1", "Zoe");
        CHECK(again_a.status == first.status);
        CHECK(again_a.body == first.body);
        CHECK(again_b.status == first.status);
        CHECK(again_b.body == first.body);
        CHECK(cb.get(salon + "/commands/pos7-1").body == first.body);
    }
    // A refusal of the engine comes back as such: completing a ticket nobody serves is a 409.
    auto const refused = ca.post(salon + "/tickets/1/complete", "{}", {{"Idempotency-Key", "pos7-2"}});
    CHECK_MESSAGE(refused.status == 409, refused.body);
    CHECK(cb.post(salon + "/tickets/1/complete", "{}", {{"Idempotency-Key", "pos7-2"}}).body == refused.body);

    // A restarted instance resumes its views from RocksDB: it reads only what it had not applied.
    REQUIRE(a->stop() == 0);
    a = std::make_unique<api_instance>(broker, "a", keyring);
    a->wait_ready(60s);
    http_client ca2{a->port(), admin};
    CHECK(metric(ca2, "salonq_projection_resumed_offset") > 0);
    CHECK(metric(ca2, "salonq_projection_records_read") == 0);
    CHECK(ca2.get(salon + "/queue").body.find("Zoe") != std::string::npos);
    CHECK(walk_in(ca2, "pos7-1", "Zoe").body == first.body);

    // A revocation sent to the cluster reaches both instances.
    auto const pos = issue_token(broker.dir() / "cli", keyring, {"--role", "pos", "--sub", "pos9", "--salon", "k1"});
    REQUIRE(http_client{a->port(), pos}.get(salon + "/queue").status == 200);
    REQUIRE(http_client{b.port(), pos}.get(salon + "/queue").status == 200);
    REQUIRE(run_capture(salonq_binary() + " --data '" + (broker.dir() / "cli") + "' token revoke --keyring '" +
                        keyring + "' --brokers " + broker.bootstrap() + " " + pos + " 2>&1; echo rc=$?")
                .ends_with("rc=0"));
    CHECK(refused_within(a->port(), pos, 5s));
    CHECK(refused_within(b.port(), pos, 5s));

    CHECK(a->stop() == 0);
    CHECK(b.stop() == 0);
    w1->kill(SIGTERM);
    w2->kill(SIGTERM);
    CHECK(w1->wait() == 0);
    CHECK(w2->wait() == 0);
}
