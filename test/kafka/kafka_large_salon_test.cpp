// The largest salon the rules allow, in Kafka mode: its snapshot (megabytes, past the brokers' default 1 MB
// record limit) is written by snapshot rounds, a restarted worker restores it from its local state, and a worker
// without local state restores it from salonq.snapshots; every time the salon goes on deciding, and a fold of
// the whole history agrees with the stored state.

#include "test/support/broker.hpp"
#include "test/support/largest_salon.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

// Writes commands as kcat's keyed input (key TAB value) and produces them.
void produce(kafka_broker const& broker, std::string const& salon, std::vector<std::string> const& lines,
             std::string const& name) {
    auto const file = broker.dir() / name;
    {
        std::ofstream out{file};
        for (auto const& line : lines) {
            out << salon << '\t' << line << '\n';
        }
    }
    kcat_produce(broker.bootstrap(), file);
}

std::string complete(std::string const& id, std::uint64_t ticket) {
    return fmt::format(R"({{"type":"complete","commandId":"{}","salonId":"big","payload":{{"ticketId":{}}}}})", id,
                       ticket);
}

// How many of the events topic's records carry `text`.
std::size_t events_with(kafka_broker const& broker, std::string const& text) {
    return std::stoull(run_capture("kcat -b " + broker.bootstrap() +
                                   " -C -t salonq.events -e -q -X isolation.level=read_committed | grep -c '" + text +
                                   "' || true"));
}

// Until salonq.snapshots holds a committed snapshot of `salon` (its key), at most `limit`: a snapshot round runs
// after the batches that made it due, and a worker stopped before the round began skips it.
bool snapshotted(kafka_broker const& broker, std::string const& salon, std::chrono::seconds limit) {
    auto const deadline = std::chrono::steady_clock::now() + limit;
    auto const held = [&] {
        return std::stoull(run_capture("kcat -b " + broker.bootstrap() +
                                       " -C -t salonq.snapshots -e -q -X isolation.level=read_committed -f '%k\\n' "
                                       "| grep -cx '" +
                                       salon + "' || true")) > 0;
    };
    while (!held() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(500ms);
    }
    return held();
}

} // namespace

TEST_CASE("kafka: the largest salon is snapshotted, and restored from local state and from the snapshots") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 2);
    largest_salon big{"big"};
    auto worker = [&](std::string const& name) {
        return start_worker(broker, name, {"--snapshot-every", "1000", "--session-timeout-ms", "3000"});
    };
    std::string report;

    auto a = worker("a");
    produce(broker, big.salon, big.commands, "big.tsv");
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 180s, report), report);
    CHECK(snapshotted(broker, big.salon, 60s)); // verified is not yet snapshotted on a loaded machine
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);
    CHECK_MESSAGE(worker_stat(dir / "a.log", "snapshots_written") > 0,
                  run_capture("grep -v '^%' '" + (dir / "a.log") + "'"));

    // The same worker again: it loads the salon from its RocksDB and decides on it.
    a = worker("a");
    produce(broker, big.salon, {big.overflow_walk_in(), complete("big-done-1", 1)}, "more.tsv");
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report, "--worker-data '" + (dir / "a") + "'"), report);
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);
    CHECK(events_with(broker, "token_pool_exhausted") == 1);
    CHECK(events_with(broker, "\"commandId\":\"big-done-1\"") == 1);

    // A worker that never held the partition restores the salon from salonq.snapshots.
    auto b = worker("b");
    produce(broker, big.salon, {complete("big-done-2", 2), big.overflow_walk_in()}, "last.tsv");
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report, "--worker-data '" + (dir / "b") + "'"), report);
    b->kill(SIGTERM);
    REQUIRE(b->wait() == 0);
    auto const restored = worker_stat(dir / "b.log", "snapshots_restored");
    CHECK_MESSAGE(restored > 0, run_capture("grep -v '^%' '" + (dir / "b.log") + "'"));
    CHECK(events_with(broker, "\"commandId\":\"big-done-2\"") == 1);
    CHECK(events_with(broker, "token_pool_exhausted") == 1); // the re-sent walk-in was known: not decided again
}
