// Aborted transactions in the pipelined worker. With fault injection every 4th transaction (of at most 40 commands)
// aborts after its records were produced, as a broker failure would, while the next batch is already decided on top of
// it. The worker gives up both, rewinds to the committed offsets and decides them again. Commands arrive from two
// producers at once and one half is sent twice (repeated commandIds). At the end every command has exactly one
// outcome, nothing of an aborted transaction is visible read_committed, every seq is gapless and the stored
// states equal the fold.

#include "test/support/broker.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

std::size_t count_lines_with(std::string const& file, std::string const& text) {
    return std::stoul(run_capture("grep -c '" + text + "' '" + file + "' || true"));
}

} // namespace

TEST_CASE("kafka abort: aborted transactions are decided again, with the batch decided on top of them") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 4);
    auto const total = simulated_commands(dir, "--salons 60 --days 1 --seed 31");
    auto const parts = split_commands(dir, total, 2);
    // Small batches, so that there are many transactions to abort.
    std::vector<std::string> const faulty{"--inject-abort-every", "4", "--commit-interval-ms", "1",
                                          "--max-batch",          "40"};
    auto a = start_worker(broker, "a", faulty);
    auto b = start_worker(broker, "b", faulty);
    auto first = kcat_produce_async(broker.bootstrap(), parts[0], dir / "first.log");
    auto second = kcat_produce_async(broker.bootstrap(), parts[1], dir / "second.log");
    CHECK(first->wait() == 0);
    CHECK(second->wait() == 0);
    kcat_produce(broker.bootstrap(), parts[0]); // every commandId of the first half again: nothing new

    std::string report;
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 240s, report), report);
    a->kill(SIGTERM);
    b->kill(SIGTERM);
    CHECK_MESSAGE(a->wait() == 0, run_capture("tail -5 '" + (dir / "a.log") + "'"));
    CHECK_MESSAGE(b->wait() == 0, run_capture("tail -5 '" + (dir / "b.log") + "'"));
    auto const aborted =
        count_lines_with(dir / "a.log", "injected abort") + count_lines_with(dir / "b.log", "injected abort");
    MESSAGE("transactions aborted by injection: " << aborted);
    CHECK(aborted >= 3);
    auto const read_back = std::stoul(run_capture(
        "kcat -b " + broker.bootstrap() + " -C -t salonq.events -e -q -X isolation.level=read_committed | wc -l"));
    CHECK(read_back == total); // one outcome per command: none from an aborted transaction, none for a repeat
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 60s, report,
                                " --worker-data '" + (dir / "a") + "' --worker-data '" + (dir / "b") + "'"),
                  report);
}
