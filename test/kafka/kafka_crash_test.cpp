// Kafka mode under failure: three engine workers in one consumer group, 500 salons, 200k+ commands produced
// while workers are killed with SIGKILL at random moments and restarted, and workers join and leave. At the
// end every command has exactly one outcome, every salon's seq is gapless and each worker's stored states
// equal the fold of the events (salonq verify --brokers). A worker frozen with SIGSTOP while its partitions
// move cannot append anything when it is resumed.

#include "test/support/broker.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <random>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

struct worker_set {
    kafka_broker const& broker;
    std::vector<std::unique_ptr<child_process>> procs;
    std::vector<std::string> logs; // each worker's current log
    int restarts = 0;

    std::string data(std::size_t i) const { return broker.dir() / ("w" + std::to_string(i)); } // start_worker's

    void start(std::size_t i) {
        if (procs.size() <= i) {
            procs.resize(i + 1);
            logs.resize(i + 1);
        }
        logs[i] = broker.dir() / ("w" + std::to_string(i) + "-" + std::to_string(restarts++) + ".log");
        procs[i] = start_worker(broker, "w" + std::to_string(i), {"--session-timeout-ms", "3000"}, logs[i]);
    }
    void kill(std::size_t i) {
        procs[i]->kill(SIGKILL);
        (void)procs[i]->wait();
    }
    int stop(std::size_t i) {
        procs[i]->kill(SIGTERM);
        return procs[i]->wait();
    }
    std::string log_tail(std::size_t i) const { // what a worker said last, without librdkafka's own lines
        return run_capture("grep -v '^%' '" + logs[i] + "' | tail -8");
    }
    std::string data_dirs() const {
        std::string out;
        for (std::size_t i = 0; i < procs.size(); ++i) {
            out += " --worker-data '" + data(i) + "'";
        }
        return out;
    }
};

} // namespace

TEST_CASE("kafka crash: three workers, 500 salons, 200k+ commands, kill -9 and rebalances lose and duplicate nothing") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 12);
    auto const total = simulated_commands(dir, "--salons 500 --days 2 --load 1.2 --seed 11");
    REQUIRE(total >= 200'000);

    worker_set workers{broker, {}, {}, 0};
    for (std::size_t i = 0; i < 3; ++i) {
        workers.start(i);
    }
    auto producer = kcat_produce_async(broker.bootstrap(), (dir / "keyed.tsv"), dir / "producer.log");

    auto const seed = std::random_device{}();
    INFO("seed " << seed);
    std::mt19937 rng{seed};
    for (int round = 0; round < 6; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds{std::uniform_int_distribution<int>{1500, 4000}(rng)});
        auto const victim = static_cast<std::size_t>(std::uniform_int_distribution<int>{0, 2}(rng));
        workers.kill(victim);
        MESSAGE("round " << round << ": killed worker " << victim);
        std::this_thread::sleep_for(std::chrono::milliseconds{std::uniform_int_distribution<int>{0, 1500}(rng)});
        workers.start(victim);
    }
    // Rebalance under load: a fourth worker joins, then one leaves cleanly.
    workers.start(3);
    std::this_thread::sleep_for(3s);
    CHECK_MESSAGE(workers.stop(1) == 0, workers.log_tail(1));
    CHECK(producer->wait() == 0);

    std::string report;
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 600s, report), report);
    MESSAGE(report);
    CHECK(report.find("command messages " + std::to_string(total)) != std::string::npos);
    for (std::size_t i : {0, 2, 3}) {
        CHECK_MESSAGE(workers.stop(i) == 0, workers.log_tail(i));
    }
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 60s, report, workers.data_dirs()), report);
}

TEST_CASE("kafka fencing: a worker frozen while its partitions move cannot append when resumed") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 4);
    auto const total = simulated_commands(dir, "--salons 40 --days 1 --seed 5");
    auto const halves = split_commands(dir, total, 2);

    worker_set workers{broker, {}, {}, 0};
    workers.start(0);
    kcat_produce(broker.bootstrap(), halves[0]);
    std::string report;
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);

    // Freeze the only worker in the middle of work: the second half streams in and is being decided when it
    // stops. A second worker takes the partitions once the frozen one's session times out.
    auto producer = kcat_produce_async(broker.bootstrap(), halves[1], dir / "producer.log");
    std::this_thread::sleep_for(300ms);
    workers.procs[0]->kill(SIGSTOP);
    workers.start(1);
    CHECK(producer->wait() == 0);
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    auto const events_before = run_capture("kcat -b " + broker.bootstrap() +
                                           " -C -t salonq.events -e -q -X isolation.level=read_committed | wc -l");

    // The zombie wakes up: whatever it still had in hand must not become visible.
    workers.procs[0]->kill(SIGCONT);
    std::this_thread::sleep_for(8s);
    auto const events_after = run_capture("kcat -b " + broker.bootstrap() +
                                          " -C -t salonq.events -e -q -X isolation.level=read_committed | wc -l");
    CHECK(events_after == events_before);
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 60s, report), report);
    workers.stop(0);
    CHECK_MESSAGE(workers.stop(1) == 0, workers.log_tail(1));
}
