// The brokers fail under load: a single broker restarts, and one node of a three-node cluster (replication 3,
// min.insync.replicas 2) is killed and brought back. The engine workers ride it out: every command still has
// exactly one outcome and the states equal the fold.

#include "test/support/broker.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

std::unique_ptr<child_process> worker(kafka_broker const& broker, std::string const& name) {
    return start_worker(broker, name, {"--session-timeout-ms", "6000"});
}

} // namespace

TEST_CASE("kafka restart: a single broker restarts under load and the workers ride it out") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 6);
    auto const total = simulated_commands(dir, "--salons 100 --days 1 --seed 21");
    auto const parts = split_commands(dir, total, 3);
    auto a = worker(broker, "a");
    auto b = worker(broker, "b");
    kcat_produce(broker.bootstrap(), parts[0]);
    auto during = kcat_produce_async(broker.bootstrap(), parts[1], dir / "during.log");
    std::this_thread::sleep_for(500ms);
    broker.restart();
    CHECK(during->wait() == 0);
    kcat_produce(broker.bootstrap(), parts[2]);
    std::string report;
    auto const verified = wait_verified(broker.bootstrap(), 240s, report);
    CHECK_MESSAGE(verified, report);
    if (!verified) {
        // Seen once (session 26, a loaded fresh-clone run): a third of the salons had no outcome at all after the
        // restart. What the workers and the broker were doing then, while their logs are still there.
        MESSAGE("worker a:\n" << log_tail(run_capture("cat '" + (dir / "a.log") + "'"), 40));
        MESSAGE("worker b:\n" << log_tail(run_capture("cat '" + (dir / "b.log") + "'"), 40));
        MESSAGE("broker:\n"
                << run_capture("grep -E ' (WARN|ERROR) ' '" + (dir / "kafka/broker.log") + "' | tail -40 || true"));
    }
    CHECK(report.find("command messages " + std::to_string(total)) != std::string::npos);
    a->kill(SIGTERM);
    b->kill(SIGTERM);
    CHECK_MESSAGE(a->wait() == 0, run_capture("tail -5 '" + (dir / "a.log") + "'"));
    CHECK_MESSAGE(b->wait() == 0, run_capture("tail -5 '" + (dir / "b.log") + "'"));
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 60s, report,
                                " --worker-data '" + (dir / "a") + "' --worker-data '" + (dir / "b") + "'"),
                  report);
}

TEST_CASE("kafka restart: one node of a three-node cluster dies under load and comes back") {
    kafka_broker cluster{true};
    auto const& dir = cluster.dir();
    create_topics(cluster.bootstrap(), 6, "--replication 3");
    auto const total = simulated_commands(dir, "--salons 100 --days 1 --seed 22");
    auto const parts = split_commands(dir, total, 3);
    auto a = worker(cluster, "a");
    auto b = worker(cluster, "b");
    kcat_produce(cluster.bootstrap(), parts[0]);
    cluster.node("kill", 2);
    kcat_produce(cluster.bootstrap(), parts[1]);
    cluster.node("start", 2);
    kcat_produce(cluster.bootstrap(), parts[2]);
    std::string report;
    CHECK_MESSAGE(wait_verified(cluster.bootstrap(), 240s, report), report);
    CHECK(report.find("command messages " + std::to_string(total)) != std::string::npos);
    a->kill(SIGTERM);
    b->kill(SIGTERM);
    CHECK_MESSAGE(a->wait() == 0, run_capture("tail -5 '" + (dir / "a.log") + "'"));
    CHECK_MESSAGE(b->wait() == 0, run_capture("tail -5 '" + (dir / "b.log") + "'"));
}
