// A take-over that meets a transaction still open on the events partition. A read_committed reader ends at the last
// stable offset, which an open transaction holds back; a transaction already committed whose marker this partition
// has not got yet (the coordinator writes markers partition by partition) looks the same to it. Folding only to
// there would miss outcomes whose commands count as consumed, and the worker would decide them again: here, the
// outcome of a command in a transaction that commits while the new owner takes the partition over. The new owner
// waits for it, folds it, and appends nothing for the command when it comes.

#include "test/support/broker.hpp"
#include "test/support/text_scan.hpp"
#include "test/support/txn_producer.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

// Whether `file` has a line with `text` by `limit`.
bool wait_for_line(std::string const& file, std::string const& text, std::chrono::seconds limit) {
    auto const until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (run_capture("grep -q '" + text + "' '" + file + "' && echo found || true").starts_with("found")) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(200ms);
    }
}

// A partition of one salon's history, decided by worker a (stopped), then the outcome of command late-1 (a cancel
// of a ticket that never was: rejected) in an open transaction; worker b, without local state, started to take the
// partition over, and seen to begin.
struct late_outcome {
    kafka_broker broker;
    temp_dir const& dir = broker.dir();
    std::string salon, command;
    std::optional<txn_producer> late; // an outcome written as a worker writes it, left open
    std::unique_ptr<child_process> b;

    late_outcome() {
        create_topics(broker.bootstrap(), 1);
        (void)simulated_commands(dir, "--salons 2 --days 1 --seed 7");
        auto a = start_worker(broker, "a");
        kcat_produce(broker.bootstrap(), dir / "keyed.tsv");
        std::string report;
        REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
        a->kill(SIGTERM);
        REQUIRE(a->wait() == 0);

        salon = run_capture("head -1 '" + (dir / "keyed.tsv") + "' | cut -f1 | tr -d '\\n'");
        auto const now = run_capture("date -u +%Y-%m-%dT%H:%M:%S.000Z | tr -d '\\n'"); // within the dedupe window
        command = R"({"type":"cancel","v":1,"commandId":"late-1","salonId":")" + salon +
                  R"(","actor":{"kind":"terminal","id":"pos-1"},"payload":{"ticketId":9999,"reason":"left"}})";
        // Open for as long as the test may need before commit() (the broker aborts it after this).
        late.emplace(broker.bootstrap(), "late-worker", 300'000);
        late->begin();
        late->send(0,
                   R"({"type":"command_rejected","v":1,"salonId":")" + salon +
                       R"(","atSeq":1,"commandId":"late-1","actor":{"kind":"terminal","id":"pos-1"},"at":")" + now +
                       R"(","commandType":"cancel",)"
                       R"("payload":{"code":"ticket_not_found","message":"there is no ticket 9999"}})",
                   salon);

        REQUIRE(::setenv("SALONQ_TRACE_TXN", "1", 1) == 0); // b logs the start and the end of its take-over
        b = start_worker(broker, "b");
        REQUIRE(::unsetenv("SALONQ_TRACE_TXN") == 0);
        REQUIRE_MESSAGE(wait_for_line(log(), "taking partition 0 over", 60s), log_lines());
    }

    [[nodiscard]] std::string log() const { return dir / "b.log"; }
    [[nodiscard]] std::string log_lines() const { return run_capture("grep -v '^%' '" + log() + "' || true"); }
};

} // namespace

TEST_CASE("kafka take-over: an outcome committed while the partition is taken over is folded, not decided again") {
    late_outcome t;
    std::this_thread::sleep_for(2s);
    CHECK_FALSE(wait_for_line(t.log(), "take-over of partition 0", 0s)); // b still waits at the open transaction
    t.late->commit();
    CHECK(wait_for_line(t.log(), "take-over of partition 0", 30s));

    // The command comes: b knows its outcome from the fold, and appends nothing. Then one that nobody answered yet:
    // once it has its outcome (verify fails until then), b has dealt with late-1 (one partition, in order).
    auto const keyed = t.dir / "late.tsv";
    std::ofstream{keyed} << t.salon << '\t' << t.command << '\n'
                         << t.salon << '\t' << replace_all(t.command, "late-1", "late-2") << '\n';
    kcat_produce(t.broker.bootstrap(), keyed);
    std::string report;
    CHECK_MESSAGE(wait_verified(t.broker.bootstrap(), 60s, report, "--worker-data '" + (t.dir / "b") + "'"), report);
    t.b->kill(SIGTERM);
    CHECK_MESSAGE(t.b->wait() == 0, t.log_lines());
}

TEST_CASE("kafka take-over: a worker stopped while it waits for an open transaction exits at once, and cleanly") {
    late_outcome t;
    std::this_thread::sleep_for(1s);
    auto const stopped_at = std::chrono::steady_clock::now();
    t.b->kill(SIGTERM);
    CHECK_MESSAGE(t.b->wait() == 0, t.log_lines());
    auto const took = std::chrono::steady_clock::now() - stopped_at;
    MESSAGE("b stopped in " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    CHECK(took < 25s); // not the wait's 30 s limit (leaving the group may take up to 15 s on a loaded machine)
}
