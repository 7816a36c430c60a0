// A worker stopped (SIGTERM) right after it started, before the group gave it its first assignment, exits
// cleanly and leaves the group. librdkafka before 2.3.0 aborts destroying a cooperative-sticky consumer that
// joined but has no assignment yet (https://github.com/confluentinc/librdkafka/issues/4312): the worker must not
// trip it.

#include "test/support/broker.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

// Waits until the log has the line `salonq serve` writes once the worker has subscribed.
bool wait_started(std::string const& log, std::chrono::seconds limit) {
    auto const until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        std::ifstream in{log};
        std::string const text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.find("engine worker in group") != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(1ms);
    }
    return false;
}

} // namespace

TEST_CASE("kafka stop: a worker stopped before its first assignment exits cleanly, 20 times in a row") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 4);
    auto const total = simulated_commands(dir, "--salons 20 --days 1 --seed 31");
    // A worker that owns every partition: a new one joins a group that rebalances first (it waits for this one
    // to rejoin, at its next heartbeat), so it is stopped while it joins, syncs or waits for the rebalance.
    auto a = start_worker(broker, "a", {"--session-timeout-ms", "3000"});
    kcat_produce(broker.bootstrap(), dir / "keyed.tsv");
    std::string report;
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    CHECK(report.find("command messages " + std::to_string(total)) != std::string::npos);

    int never_assigned = 0;
    for (int i = 0; i < 20; ++i) {
        auto const log = dir / ("b-" + std::to_string(i) + ".log");
        auto b = start_worker(broker, "b", {"--session-timeout-ms", "3000"}, log);
        REQUIRE_MESSAGE(wait_started(log, 60s), run_capture("tail -20 '" + log + "'"));
        // At once, then later and later across the heartbeat interval (1 s): the group's answers come at
        // different moments of the stop.
        std::this_thread::sleep_for(std::chrono::milliseconds{i * 53});
        b->kill(SIGTERM);
        CHECK_MESSAGE(b->wait() == 0, "stop " << i << ":\n" << run_capture("grep -v '^%' '" + log + "' | tail -8"));
        never_assigned += worker_stat(log, "commands") == 0 &&
                          run_capture("grep -c 'last_takeover_ms=-1' '" + log + "' || true").starts_with("1");
    }
    MESSAGE(never_assigned << " of 20 stopped workers never had an assignment");
    CHECK(never_assigned >= 10);

    // The first worker still owns everything and decides what comes next.
    auto const more = simulated_commands(dir, "--salons 20 --days 1 --seed 32");
    kcat_produce(broker.bootstrap(), dir / "keyed.tsv");
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    CHECK(report.find("command messages " + std::to_string(total + more)) != std::string::npos);
    a->kill(SIGTERM);
    CHECK_MESSAGE(a->wait() == 0, run_capture("grep -v '^%' '" + (dir / "a.log") + "' | tail -8"));
}
