// Hand-over without local state: a worker that never owned the partitions restores the latest snapshot round
// from salonq.snapshots and folds only the events after it, and ends with the same states as the fold of the
// whole history. It still recognises commands decided before the round when terminals send them again.

#include "test/support/broker.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

std::uint64_t worker_stat(std::string const& log, std::string const& what) {
    std::ifstream in{log};
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::smatch m;
    if (std::regex_search(text, m, std::regex{"([0-9]+) " + what})) {
        return std::stoull(m[1]);
    }
    return 0;
}

} // namespace

TEST_CASE("kafka snapshots: a worker without local state restores the latest round, not the whole history") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 4);
    auto const total = simulated_commands(dir, "--salons 40 --days 1 --seed 8");
    auto const halves = split_commands(dir, total, 2);
    auto worker = [&](std::string const& name) {
        return start_worker(broker, name, {"--snapshot-every", "300", "--session-timeout-ms", "3000"});
    };

    auto a = worker("a");
    kcat_produce(broker.bootstrap(), halves[0]);
    std::string report;
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);
    auto const written = worker_stat(dir / "a.log", "snapshots written");
    CHECK_MESSAGE(written > 0, run_capture("grep -v '^%' '" + (dir / "a.log") + "'"));

    auto b = worker("b");
    kcat_produce(broker.bootstrap(), halves[1]);
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    // Terminals re-send the whole first half, decided by a before the snapshot rounds b restored: b read back
    // their commandIds (the dedupe backfill), so nothing is decided twice.
    kcat_produce(broker.bootstrap(), halves[0]);
    std::this_thread::sleep_for(4s);
    auto const outcomes = std::stoull(run_capture(
        "kcat -b " + broker.bootstrap() + " -C -t salonq.events -e -q -X isolation.level=read_committed | wc -l"));
    CHECK(outcomes == total);
    b->kill(SIGTERM);
    REQUIRE(b->wait() == 0);
    auto const restored = worker_stat(dir / "b.log", "snapshots restored");
    auto const folded = worker_stat(dir / "b.log", "events recovered");
    MESSAGE("worker a wrote " << written << " snapshots; worker b restored " << restored << " and folded " << folded
                              << " events of the " << total / 2 << " commands' history");
    CHECK_MESSAGE(restored > 0, run_capture("grep -v '^%' '" + (dir / "b.log") + "'"));
    CHECK(folded < total / 2);
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 60s, report, "--worker-data '" + (dir / "b") + "'"), report);
}
