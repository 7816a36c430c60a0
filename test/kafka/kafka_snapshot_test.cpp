// Hand-over without local state: a worker that never owned the partitions restores the latest snapshot round
// from salonq.snapshots and folds only the events after it, and ends with the same states as the fold of the
// whole history. It still recognises commands decided before the round when terminals send them again: snapshot
// rounds carry the commandIds decided since the previous round (dedupe chunks).

#include "test/support/broker.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <set>
#include <span>
#include <sstream>
#include <thread>
#include <vector>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

// Salon snapshot records in salonq.snapshots (committed), that is every key but the dedupe chunks' ("~...").
std::size_t salon_snapshots(std::string const& bootstrap) {
    return std::stoul(run_capture("kcat -b " + bootstrap +
                                  " -C -t salonq.snapshots -e -q -X isolation.level=read_committed -f '%k\\n' | "
                                  "grep -vc '^~' || true"));
}

} // namespace

TEST_CASE("kafka snapshots: a worker without local state restores the latest round, not the whole history") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 4);
    auto const total = simulated_commands(dir, "--salons 40 --days 1 --seed 8");
    auto const halves = split_commands(dir, total, 2);
    // The first half's last 30 commands come after a's last snapshot round: a decides them after a restart with
    // rounds off. (Left to the counts, they once made a round of their own under load, and c had nothing to read.)
    auto const early = (dir / "early.tsv"), late = (dir / "late.tsv");
    (void)run_capture("head -n -30 '" + halves[0] + "' > '" + early + "'; tail -n 30 '" + halves[0] + "' > '" + late +
                      "'");
    auto worker = [&](std::string const& name) {
        return start_worker(broker, name, {"--snapshot-every", "300", "--session-timeout-ms", "3000"});
    };
    auto outcomes = [&] {
        return std::stoull(run_capture("kcat -b " + broker.bootstrap() +
                                       " -C -t salonq.events -e -q -X isolation.level=read_committed | wc -l"));
    };

    auto a = worker("a");
    std::string report;
    kcat_produce(broker.bootstrap(), early);
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    // A round holds the states of the last checkpoint: when a decides everything in a few large batches (a loaded
    // machine), its rounds may all come before the first one, with no salon in them. Idle, it checkpoints and then
    // makes a round that holds them; stopping it before that would leave b nothing to restore.
    for (int i = 0; i < 120 && salon_snapshots(broker.bootstrap()) == 0; ++i) {
        std::this_thread::sleep_for(500ms);
    }
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);
    auto const written = worker_stat(dir / "a.log", "snapshots_written");
    CHECK_MESSAGE(written > 0, run_capture("grep -v '^%' '" + (dir / "a.log") + "'"));
    a = start_worker(broker, "a", {"--snapshot-every", "0", "--session-timeout-ms", "3000"}, dir / "a-late.log");
    kcat_produce(broker.bootstrap(), late);
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);
    REQUIRE(worker_stat(dir / "a-late.log", "snapshots_written") == 0);

    auto b = worker("b");
    kcat_produce(broker.bootstrap(), halves[1]);
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    // Terminals re-send the whole first half, decided by a before the snapshot rounds b restored: b took their
    // commandIds from the rounds' dedupe chunks, so nothing is decided twice.
    kcat_produce(broker.bootstrap(), halves[0]);
    std::this_thread::sleep_for(4s);
    CHECK(outcomes() == total);
    b->kill(SIGTERM);
    REQUIRE(b->wait() == 0);
    auto const restored = worker_stat(dir / "b.log", "snapshots_restored");
    auto const folded = worker_stat(dir / "b.log", "events_recovered");
    auto const ids = worker_stat(dir / "b.log", "commandIds_restored");
    MESSAGE("worker a wrote " << written << " snapshots; worker b restored " << restored << ", folded " << folded
                              << " events of the " << total / 2 << " commands' history and took " << ids
                              << " commandIds from dedupe chunks");
    CHECK_MESSAGE(restored > 0, run_capture("grep -v '^%' '" + (dir / "b.log") + "'"));
    CHECK(folded < total / 2);
    CHECK(ids > 0);
    CHECK(ids + folded >= total / 2 - 30); // a's last 30 commands are after its last round: b folded them

    // c restores from b's rounds. The chunks cover a's rounds and what b decided; the late commands between a's
    // last round and b's take-over are in no chunk, so c reads their events back. Everything is re-sent.
    auto c = worker("c");
    kcat_produce(broker.bootstrap(), halves[0]);
    kcat_produce(broker.bootstrap(), halves[1]);
    std::this_thread::sleep_for(6s);
    CHECK(outcomes() == total);
    c->kill(SIGTERM);
    REQUIRE(c->wait() == 0);
    auto const c_ids = worker_stat(dir / "c.log", "commandIds_restored");
    auto const read_back = worker_stat(dir / "c.log", "events_read_for_commandIds");
    MESSAGE("worker c took " << c_ids << " commandIds from dedupe chunks and read " << read_back
                             << " events back for theirs");
    CHECK(c_ids > total / 2);
    CHECK(read_back > 0);
    CHECK(read_back < total / 4);
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 60s, report, "--worker-data '" + (dir / "c") + "'"), report);
}

namespace {

// Every chunk record of salonq.snapshots (committed): "~dedupe/<to>/<newest ms> <value size, -1 for a tombstone>".
// a's chunks carry today's times, b's the times 200 h ahead.
struct chunks {
    std::set<std::string> a, b, tombstoned;
};
chunks read_chunks(std::string const& bootstrap) {
    std::istringstream lines{run_capture("kcat -b " + bootstrap +
                                         " -C -t salonq.snapshots -e -q -X isolation.level=read_committed"
                                         " -Z -f '%k %S\\n' | grep '^~dedupe/'")};
    auto const now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    chunks c;
    for (std::string key, size; lines >> key >> size;) {
        if (size == "-1") {
            c.tombstoned.insert(key);
        } else if (std::stoll(key.substr(key.rfind('/') + 1)) < now_ms + 100LL * 3600 * 1000) {
            c.a.insert(key);
        } else {
            c.b.insert(key);
        }
    }
    return c;
}

// Worker a (global options `a_global`; with `rounds_before_checkpoint` its rounds hold no salon snapshot) decides
// the first half of a day and writes rounds; then b, whose clock runs 200 h ahead (every chunk a wrote is past the
// 7-day retention), restores, decides the second half and writes rounds, which tombstone a's chunks.
void expire_a_s_chunks(std::vector<std::string> const& a_global, bool rounds_before_checkpoint) {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 2);
    auto const total = simulated_commands(dir, "--salons 10 --days 1 --seed 12");
    auto const halves = split_commands(dir, total, 2);

    // The workers log their rounds and take-overs: shown if the check at the end fails.
    auto const traced = [&](std::string const& name, std::vector<std::string> const& args,
                            std::vector<std::string> const& global = {}) {
        REQUIRE(::setenv("SALONQ_TRACE_TXN", "1", 1) == 0);
        auto w = start_worker(broker, name, args, "", global);
        REQUIRE(::unsetenv("SALONQ_TRACE_TXN") == 0);
        return w;
    };
    auto a = traced("a", {"--snapshot-every", "50"}, a_global);
    kcat_produce(broker.bootstrap(), halves[0]);
    std::string report;
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report),
                    report << run_capture("grep -v '^%' '" + (dir / "a.log") + "' | tail -20 || true"));
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);
    auto const a_salon_snapshots = std::stoul(run_capture(
        "kcat -b " + broker.bootstrap() +
        " -C -t salonq.snapshots -e -q -X isolation.level=read_committed -f '%k\\n' | grep -vc '^~' || true"));
    MESSAGE("a's rounds hold " << a_salon_snapshots << " salon snapshots");
    if (rounds_before_checkpoint) { // (with a checkpoint every second, the first round may come before it too)
        CHECK(a_salon_snapshots == 0);
    }

    // Every partition with events after its restore gets a round within a second or two, also when idle: which of
    // them reach 50 events depends on how the salons fall on the partitions (once, b rounded only the partition
    // holding none of a's chunks, and none was tombstoned).
    auto b = traced("b", {"--snapshot-every", "50", "--clock-offset-hours", "200", "--snapshot-max-age-seconds", "1"});
    kcat_produce(broker.bootstrap(), halves[1]);
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);

    // The idle rounds by age come within a second or two; on a loaded machine later: wait for them (30 s at most).
    auto c = read_chunks(broker.bootstrap());
    for (auto const until = std::chrono::steady_clock::now() + 30s;
         (c.tombstoned != c.a || c.b.empty()) && std::chrono::steady_clock::now() < until;
         c = read_chunks(broker.bootstrap())) {
        std::this_thread::sleep_for(500ms);
    }
    b->kill(SIGTERM);
    REQUIRE(b->wait() == 0);
    c = read_chunks(broker.bootstrap());                                  // with whatever b wrote as it stopped
    CHECK(worker_stat(dir / "b.log", "commandIds_restored") == 0);        // skipped unparsed, by their keys
    CHECK(worker_stat(dir / "b.log", "events_read_for_commandIds") == 0); // nothing of the window is uncovered
    MESSAGE("a wrote " << c.a.size() << " dedupe chunks, b " << c.b.size() << "; b's rounds wrote "
                       << c.tombstoned.size() << " tombstones");
    CHECK_FALSE(c.a.empty());
    CHECK_FALSE(c.b.empty());
    // All of a's, none of b's. (Aborted rounds are not read: their chunks are in no restore.)
    CHECK_MESSAGE(c.tombstoned == c.a, run_capture("grep -h 'round\\|partition' '" + (dir / "a.log") + "' '" +
                                                   (dir / "b.log") + "' | grep -v '^%' || true"));
}

} // namespace

TEST_CASE("kafka snapshots: dedupe chunks past the retention are skipped at restore and tombstoned by a round") {
    expire_a_s_chunks({}, false);
}

// A round right after a's first batches, before its first state checkpoint, holds only dedupe chunks: RocksDB has
// no salon state yet. b's restore then finds no salon to restore and folds from the start, and it must still learn
// the chunk keys to tombstone them. (Found in CI: a's first batch held all of the first half, the checkpoint came
// after the round, and b tombstoned none of a's chunks.)
TEST_CASE("kafka snapshots: the chunks of a round that holds no salon yet are tombstoned too") {
    expire_a_s_chunks({"--state-checkpoint-ms", "3600000"}, true);
}

TEST_CASE("kafka snapshots: a round that cannot produce its snapshots is logged and counted, and the worker goes on") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 2);
    auto const total = simulated_commands(dir, "--salons 10 --days 1 --seed 5");
    // Every second round fails at its first snapshot, as a failed produce would. Idle, a partition whose last round
    // lacks events gets one within a second or two: a failed round is tried again. Four parts, a few seconds apart:
    // a round or more each (one part decided in a single batch and checkpoint may need just one).
    auto a = start_worker(
        broker, "a",
        {"--snapshot-every", "50", "--snapshot-max-age-seconds", "1", "--inject-round-failure-every", "2"});
    std::string report;
    for (auto const& part : split_commands(dir, total, 4)) {
        kcat_produce(broker.bootstrap(), part);
        REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
        std::this_thread::sleep_for(3s); // the idle rounds by age
    }
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);
    auto const failures = worker_stat(dir / "a.log", "snapshot_failures");
    auto const logged = std::stoull(
        run_capture("grep -c 'snapshot round of .* given up, retried later: snapshot of .*injected failure' '" +
                    (dir / "a.log") + "' || true"));
    MESSAGE(total << " commands; " << failures << " rounds given up, "
                  << worker_stat(dir / "a.log", "snapshots_written") << " snapshots written");
    CHECK(failures > 0);
    CHECK(logged == failures);                                  // one error line each
    CHECK(worker_stat(dir / "a.log", "snapshots_written") > 0); // the other rounds
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 60s, report, "--worker-data '" + (dir / "a") + "'"), report);
}

// A round holds the states of the last checkpoint, which may lag the committed end by many events (here by the
// whole run: one checkpoint an hour). Counting those events again after each round made every later batch due for
// a round of its own; the count starts at the round's end, so rounds stay about one per 100 events.
TEST_CASE("kafka snapshots: a checkpoint far behind does not make every batch a round") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 2);
    auto const total = simulated_commands(dir, "--salons 10 --days 1 --seed 12");
    auto const parts = split_commands(dir, total, 60); // one batch or more each: fed a part at a time
    REQUIRE(::setenv("SALONQ_TRACE_TXN", "1", 1) == 0);
    auto a = start_worker(broker, "a", {"--snapshot-every", "100"}, "", {"--state-checkpoint-ms", "3600000"});
    REQUIRE(::unsetenv("SALONQ_TRACE_TXN") == 0);
    std::string report;
    kcat_produce(broker.bootstrap(), parts.front()); // once decided, the take-over is over
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    for (auto const& part : std::span{parts}.subspan(1)) {
        kcat_produce(broker.bootstrap(), part);
        std::this_thread::sleep_for(100ms);
    }
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);
    auto const count = [&](std::string const& pattern) {
        return std::stoul(run_capture("grep -c '" + pattern + "' '" + (dir / "a.log") + "' || true"));
    };
    auto const batches = count("txn at .* commands");
    auto const rounds = count("snapshot round of partition");
    auto const events = std::stoul(run_capture("kcat -b " + broker.bootstrap() +
                                               " -C -t salonq.events -e -q -X isolation.level=read_committed | wc -l"));
    MESSAGE(total << " commands, " << events << " events in " << batches << " batches; " << rounds
                  << " snapshot rounds");
    CHECK(batches >= 30); // (parts may share one on a loaded machine)
    CHECK(rounds > 0);
    // A round is due once a partition has 100 events since its last one, and starts that partition's count again:
    // at most one round per 100 events (the 2 for a round by age or one in flight at the stop).
    CHECK_MESSAGE(rounds <= events / 100 + 2, run_capture("grep 'round' '" + (dir / "a.log") + "' | head -40"));
}
