// Kafka mode's notifier (docs/notify.md, "Kafka mode"): two api instances (`serve --role api`) and an engine worker,
// real processes over a real broker, and a webhook receiver on loopback. Settings PUT through A reach B (the
// compacted salonq.notify-settings); walk-ins and starts through A and B; the receiver gets each notification
// exactly once with a valid signature, also after an outage of its own. Then A is killed (-9) mid-stream and
// restarted: every notification still arrives, and salonq.notifications, read back with a plain reader, holds each
// one exactly once (derived in transactions with the consumed offsets). Checked failing on purpose: with the offsets
// left out of the deriver's transaction the topic holds duplicates; with a take-over that does not fold the partition
// first, extra "almost your turn" notifications (34 for 32).

#include "test/support/broker.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_salon.hpp"
#include "test/support/json_at.hpp"
#include "test/support/kafka_api.hpp"
#include "test/support/webhook_receiver.hpp"

#include "engine/log/partitioner.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;

constexpr int partitions = 4;
constexpr char const* secret = "whsec-kafka-0123456789";
std::vector<std::string> const salons{"k3", "k1", "k8", "k14"}; // one on each partition (checked)
// Per salon: phase 1 four (almost 1, almost 2, called 1, almost 3), phase 2 two (called 2, almost 4), phase 3 two
// (called 3, almost 5), with "almost your turn" at position 2.
constexpr std::size_t per_salon_1 = 4;
constexpr std::size_t per_salon_2 = 2;
constexpr std::size_t per_salon_3 = 2;

std::string path(std::string const& salon) { return "/v1/salons/" + salon; }

void walk_in(http_client& c, std::string const& salon) {
    auto const r =
        c.post(path(salon) + "/walk-ins", R"({"customer":{"name":"Ann","phone":"+447700900123"},"services":["HC"]})");
    REQUIRE_MESSAGE(r.status == 201, r.body);
}

void start(http_client& c, std::string const& salon, int ticket) {
    auto const r = c.post(path(salon) + "/tickets/" + std::to_string(ticket) + "/start", R"({"staffId":"ana"})");
    REQUIRE_MESSAGE(r.status == 200, r.body);
}

void complete(http_client& c, std::string const& salon, int ticket) {
    auto const r = c.post(path(salon) + "/tickets/" + std::to_string(ticket) + "/complete", "{}");
    REQUIRE_MESSAGE(r.status == 200, r.body);
}

// Until the instance shows the salon's webhook as set (it read salonq.notify-settings), at most 20 s.
bool configured_on(http_client& c, std::string const& salon) {
    auto const deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto const r = c.get(path(salon) + "/notifications");
        if (r.status == 200 && r.body.find(R"("configured":true)") != std::string::npos &&
            r.body.find(R"("almostAt":2)") != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

// Each id in salonq.notifications (read_committed, from the beginning), with how often it is there.
std::map<std::string, int> ids_in_topic(kafka_broker const& broker) {
    auto const text = run_capture("kcat -C -b " + broker.bootstrap() +
                                  " -t salonq.notifications -X isolation.level=read_committed -o beginning -e -q "
                                  "-f '%s\\n'");
    std::map<std::string, int> ids;
    std::regex const id{R"re("id":"([^"]+)")re"};
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, id)) {
            ++ids[m[1]];
        }
    }
    return ids;
}

// Until the topic holds `n` notifications, at most 60 s; what it holds then.
std::map<std::string, int> topic_holds(kafka_broker const& broker, std::size_t n) {
    auto const deadline = std::chrono::steady_clock::now() + 60s;
    auto ids = ids_in_topic(broker);
    while (ids.size() < n && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(500ms);
        ids = ids_in_topic(broker);
    }
    return ids;
}

std::set<std::string> distinct(std::vector<std::string> const& ids) { return {ids.begin(), ids.end()}; }

// Each id answered 2xx once at most.
bool none_twice(receiver const& hook) {
    auto const seen = hook.seen();
    std::map<std::string, int> count;
    for (auto const& id : seen.ok) {
        ++count[id];
    }
    return std::ranges::all_of(count, [](auto const& kv) { return kv.second == 1; });
}

} // namespace

TEST_CASE("kafka notify: derived once, delivered once, through a receiver outage and a kill -9 of an api instance") {
    std::set<std::int32_t> spread;
    for (auto const& s : salons) {
        spread.insert(salonq::engine::log::partition_for(s, partitions));
    }
    REQUIRE(spread.size() == partitions);
    kafka_broker broker;
    create_topics(broker.bootstrap(), partitions);
    auto w1 = start_worker(broker, "w1", {"--session-timeout-ms", "3000"});
    auto const keyring = broker.dir() / "keyring.json";
    auto const admin = issue_token(broker.dir() / "cli", keyring, {"--role", "admin", "--all-salons"});
    receiver hook{secret};
    auto a = std::make_unique<api_instance>(broker, "a", keyring,
                                            std::vector<std::string>{"--webhook-allow-private", "--instance", "a"});
    api_instance b{broker, "b", keyring, {"--webhook-allow-private", "--instance", "b"}};
    a->wait_ready(60s);
    b.wait_ready(60s);
    http_client ca{a->port(), admin};
    http_client cb{b.port(), admin};

    // Settings through A reach B.
    for (auto const& s : salons) {
        open_salon_over_http(ca, path(s));
        auto const put = ca.request(bhttp::verb::put, path(s) + "/notifications",
                                    fmt::format(R"({{"url":"{}","secret":"{}","almostAt":2}})", hook.url(), secret));
        REQUIRE_MESSAGE(put.status == 200, put.body);
        CHECK(put.body.find(secret) == std::string::npos);
    }
    for (auto const& s : salons) {
        REQUIRE(configured_on(ca, s));
        REQUIRE(configured_on(cb, s));
    }

    // Phase 1: walk-ins through A and B, starts through B: each notification once, signed.
    for (auto const& s : salons) {
        walk_in(ca, s);
        walk_in(cb, s);
        walk_in(ca, s);
        start(cb, s, 1);
    }
    auto const first = per_salon_1 * salons.size();
    REQUIRE_MESSAGE(hook.wait_ok(first, 60s), hook.seen().ok.size());
    std::this_thread::sleep_for(1s); // a repeat would come now
    CHECK(hook.seen().ok.size() == first);
    CHECK(distinct(hook.seen().ok).size() == first);
    CHECK(hook.seen().bad_signatures == 0);

    // Phase 2: the receiver fails for a while, then recovers: everything arrives, still once each.
    hook.set(receiver::mode::fail);
    for (auto const& s : salons) {
        complete(ca, s, 1);
        start(ca, s, 2);
        walk_in(cb, s);
    }
    auto const second = first + per_salon_2 * salons.size();
    auto const deadline = std::chrono::steady_clock::now() + 30s;
    while (hook.seen().requests.size() < second && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms); // each new one tried (and refused) at least once
    }
    CHECK(hook.seen().requests.size() == second);
    CHECK(hook.seen().ok.size() == first);
    hook.set(receiver::mode::ok);
    REQUIRE_MESSAGE(hook.wait_ok(second, 90s), hook.seen().ok.size());
    CHECK(none_twice(hook));
    CHECK(distinct(hook.seen().ok).size() == second);
    CHECK(hook.seen().bad_signatures == 0);

    // Phase 3: A is killed mid-stream (the receiver slow, so deliveries are in flight): every salon has a start
    // before the kill and a walk-in after it, so every partition's notifications are derived again by whoever takes
    // A's over (from the committed offsets). B carries on; A restarts on its data and delivers what its outbox held.
    hook.set_delay(200ms);
    for (auto const& s : salons) {
        complete(cb, s, 2);
        start(cb, s, 3);
    }
    a->kill();
    for (auto const& s : salons) {
        walk_in(cb, s);
        walk_in(cb, s);
    }
    auto const third = second + per_salon_3 * salons.size();
    a = std::make_unique<api_instance>(broker, "a", keyring,
                                       std::vector<std::string>{"--webhook-allow-private", "--instance", "a"});
    a->wait_ready(60s);
    hook.set_delay(0ms);
    REQUIRE_MESSAGE(hook.wait_ok(third, 120s), hook.seen().ok.size());
    std::this_thread::sleep_for(2s); // a notification derived twice would be delivered by now
    auto const delivered = distinct(hook.seen().ok);
    CHECK(delivered.size() == third); // none lost (one in flight at the kill may have come twice)
    CHECK(hook.seen().bad_signatures == 0);

    // salonq.notifications holds each notification exactly once, and they are the ones delivered.
    auto const topic = topic_holds(broker, third);
    CHECK(topic.size() == third);
    CHECK(std::ranges::all_of(topic, [](auto const& kv) { return kv.second == 1; }));
    std::set<std::string> in_topic;
    for (auto const& [id, n] : topic) {
        in_topic.insert(id);
    }
    CHECK(in_topic == delivered);

    CHECK(a->stop() == 0);
    CHECK(b.stop() == 0);
    w1->kill(SIGTERM);
    CHECK(w1->wait() == 0);
}
