// The embedded engine's salon states as a checkpoint of the log (docs/design.md, "Checkpointed states"), with real
// RocksDB: a restart after kill -9 folds the events after the last checkpoint, reads between checkpoints are exact
// (the engine, a read-only view, `salonq state`), verify still catches a stored state that disagrees with the log,
// failed writes leave the worker's cache exact, and a sweep that takes several batches writes the offsets of the
// batch that began it (the stored states checked after every batch).

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/log/keys.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/logging/logger.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/runtime/embedded_view.hpp"
#include "engine/runtime/state_checkpoint.hpp"
#include "engine/runtime/stored.hpp"
#include "engine/runtime/verify.hpp"
#include "test/support/commands.hpp"
#include "test/support/piped_process.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <latch>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace {

using namespace salonq::engine;
using namespace std::chrono_literals;
using runtime::embedded_engine;
using namespace salonq::test;

// Two workers, no fsync, `max_batch` commands a batch, a state checkpoint every `interval`: the set-up of the cases
// that race readers or checkpoint() against sweeps.
runtime::engine_options two_workers(std::size_t max_batch, std::chrono::milliseconds interval) {
    runtime::engine_options options;
    options.workers = 2;
    options.mode = runtime::durability::relaxed;
    options.max_batch = max_batch;
    options.state_checkpoint_interval = interval;
    options.state_checkpoint_bytes_per_command = 0; // sweeps by the clock alone: they race what these cases race
    return options;
}

// A salon with one service and two stylists on duty, then `walk_ins` walk-ins and a start: the commands in order.
std::vector<command> salon_day(std::string const& salon, int walk_ins, int from = 0) {
    std::vector<command> out;
    if (from == 0) {
        out.push_back(make_command(salon + "-reg", salon, register_salon(), at(0)));
        out.push_back(make_command(salon + "-cfg", salon, set_services({{"HC", "Haircut", 2500, 30}}), at(0)));
        out.push_back(make_command(salon + "-max", salon, set_max_waiting(2600), at(0)));
        for (auto const* id : {"s1", "s2"}) {
            out.push_back(make_command(salon + "-add-" + id, salon, add_staff(id, role::staff, "Stylist"), at(0)));
            out.push_back(make_command(salon + "-in-" + id, salon, clock_in(id), at(1)));
        }
    }
    for (int i = from; i < from + walk_ins; ++i) {
        auto const n = std::to_string(i);
        out.push_back(make_command(salon + "-w" + n, salon, walk_in("C" + n, {"HC"}), at(10 + i)));
        if (i % 5 == 4) {
            out.push_back(make_command(salon + "-st" + n, salon, start(i % 10 == 4 ? "s1" : "s2"), at(10 + i)));
        }
    }
    return out;
}

// The salon's state folded from scratch from the events log (up to seq `last`): what every read must answer.
std::optional<salon_state> fold_of(log::reader& events, std::string const& salon,
                                   std::uint64_t last = std::numeric_limits<std::uint64_t>::max()) {
    std::optional<salon_state> s;
    for (std::int32_t p = 0; p < events.partition_count(); ++p) {
        auto const end = events.end_offset(partition_id{p}).value();
        REQUIRE(events.visit(partition_id{p}, offset_t{0}, end, [&](log::record_view const& r) {
            auto entry = codec::decode_entry(r.value).value();
            if (auto const* e = std::get_if<event>(&entry);
                e != nullptr && e->salon.value() == salon && e->seq.value() <= last) {
                if (!s) {
                    s.emplace().id = e->salon;
                }
                evolve(*s, *e);
            }
            return true;
        }));
    }
    return s;
}

std::string verify_problems(store::rocks_store const& db, std::int32_t partitions) {
    auto report = runtime::verify(db, partitions).value();
    std::string out;
    for (auto const& p : report.problems) {
        out += p + "\n";
    }
    return out;
}

// `salonq submit -` in a child process: sends the commands one at a time and waits for each outcome.
void submit_all(piped_process& run, std::vector<command> const& commands) {
    for (auto const& c : commands) {
        REQUIRE(run.write(codec::encode_client_command(c) + "\n"));
        auto const line = run.read_line(10s);
        REQUIRE(line);
        REQUIRE_MESSAGE(line->find(R"("status":"accepted")") != std::string::npos, *line);
    }
}

std::vector<std::string> submit_argv(std::string const& data) {
    // No checkpoint while it runs: only the one at open (when it folded something) and at a clean stop.
    return {salonq_binary(), "--data", data, "--partitions", "4", "--state-checkpoint-ms", "3600000", "submit", "-"};
}

std::string run_state_cli(temp_dir const& dir, std::string const& data, std::string const& salon) {
    child_process cli({salonq_binary(), "--data", data, "state", salon}, dir / "state.out");
    REQUIRE(cli.wait() == 0);
    std::ifstream in{dir / "state.out"};
    std::string line;
    std::getline(in, line);
    return line;
}

} // namespace

TEST_CASE("checkpoint: a restart after kill -9 between two checkpoints folds the events after the last one") {
    temp_dir dir;
    auto const data = dir / "data";
    std::vector<std::string> const salons{"a1", "b2", "c3"};
    {
        piped_process first{submit_argv(data)};
        REQUIRE(first.started());
        for (auto const& s : salons) {
            submit_all(first, salon_day(s, 6));
        }
        first.close_stdin();
        REQUIRE(first.wait() == 0); // a clean stop: its last checkpoint holds every state
    }
    {
        piped_process second{submit_argv(data)};
        REQUIRE(second.started());
        for (auto const& s : salons) {
            submit_all(second, salon_day(s, 7, 6));
        }
        second.kill(SIGKILL); // every outcome above was acknowledged: their events are on disk, the states are not
        (void)second.wait();
    }

    {
        // Between the checkpoints: the stored states are the first run's, the reads fold the rest.
        auto view = runtime::embedded_view::open(data).value();
        for (auto const& s : salons) {
            CAPTURE(s);
            auto const expected = fold_of(view->events(), s);
            REQUIRE(expected);
            auto const stored = runtime::read_state(view->db(), salon_id{s}).value();
            REQUIRE(stored);
            CHECK(stored->seq.value() < expected->seq.value());
            CHECK(view->state(salon_id{s}).value() == expected);
            CHECK(run_state_cli(dir, data, s) == codec::encode_state(*expected));
        }
        CHECK(verify_problems(view->db(), view->partition_count()).empty());
    }

    std::map<std::string, salon_state> before;
    {
        auto engine = embedded_engine::open(data).value();
        CHECK(engine->recovered_events() > 0);
        for (auto const& s : salons) {
            auto const expected = fold_of(engine->events(), s);
            REQUIRE(expected);
            CHECK(engine->state(salon_id{s}).value() == expected);
            // The folded states are in the store again: a read needs no fold.
            CHECK(runtime::read_state(engine->db(), salon_id{s}).value() == expected);
            auto const next = engine->submit_sync(make_command(s + "-after", s, walk_in("Dee", {"HC"}), at(99)));
            REQUIRE(next);
            REQUIRE(next->accepted());
            CHECK(std::get<event>(next->entries[0]).seq.value() == expected->seq.value() + 1);
            auto const& issued = std::get<evt::ticket_issued>(std::get<event>(next->entries[0]).body);
            CHECK(issued.ticket.value() == expected->next_ticket);
            before.emplace(s, engine->state(salon_id{s}).value().value());
        }
        CHECK(verify_problems(engine->db(), engine->partition_count()).empty());
    }
    auto engine = embedded_engine::open(data).value();
    CHECK(engine->recovered_events() == 0); // a clean stop wrote a last checkpoint
    for (auto const& s : salons) {
        CHECK(engine->state(salon_id{s}).value() == before.at(s));
    }
}

TEST_CASE("checkpoint: reads between checkpoints are exact, and a checkpoint catches the store up") {
    temp_dir dir;
    runtime::engine_options options;
    options.state_checkpoint_interval = std::chrono::hours{1};
    auto engine = embedded_engine::open(dir.path(), options).value();
    for (auto const& c : salon_day("s1", 12)) {
        REQUIRE(engine->submit_sync(c)->accepted());
    }
    auto const expected = fold_of(engine->events(), "s1");
    REQUIRE(expected);
    CHECK_FALSE(runtime::read_state(engine->db(), salon_id{"s1"}).value().has_value()); // not checkpointed yet
    CHECK(engine->state(salon_id{"s1"}).value() == expected);
    {
        auto view = runtime::embedded_view::open(dir.path()).value();
        CHECK(view->state(salon_id{"s1"}).value() == expected);
        CHECK_FALSE(view->state(salon_id{"nobody"}).value().has_value());
        CHECK(verify_problems(view->db(), view->partition_count()).empty());
    }
    REQUIRE(engine->checkpoint());
    CHECK(runtime::read_state(engine->db(), salon_id{"s1"}).value() == expected);
    auto const p = partition_id{log::partition_for("s1", engine->partition_count())};
    CHECK(runtime::read_states_offset(engine->db(), p).value() == engine->events().end_offset(p)->value());
}

TEST_CASE("checkpoint: verify catches a stored state that disagrees with the fold of the log") {
    temp_dir dir;
    {
        auto engine = embedded_engine::open(dir.path()).value();
        for (auto const& s : {"s1", "s2"}) {
            for (auto const& c : salon_day(s, 8)) {
                REQUIRE(engine->submit_sync(c)->accepted());
            }
        }
    }
    salon_state older; // s1 three changes ago: what a lost checkpoint would have left
    {
        auto view = runtime::embedded_view::open(dir.path()).value();
        auto const now = view->state(salon_id{"s1"}).value().value();
        older = fold_of(view->events(), "s1", now.seq.value() - 3).value();
    }
    struct row {
        std::string name;
        std::function<void(salon_state&)> change;
        std::string problem; // {} is the log's seq of s1
    };
    std::vector<row> const rows{
        {"another name at the same seq", [](salon_state& s) { s.name = "Not the log's"; },
         "salon s1: stored state differs from the fold of its events"},
        {"a state older than the states offset", [&](salon_state& s) { s = older; },
         "salon s1: stored state (seq {0}) misses events below the states offset"},
        {"a state ahead of the log", [](salon_state& s) { s.seq = seq_t{s.seq.value() + 1}; },
         "salon s1: stored state (seq {1}) is ahead of its events (seq {2})"},
    };
    for (auto const& r : rows) {
        CAPTURE(r.name);
        auto db = store::rocks_store::open(dir.path()).value();
        auto const good = runtime::read_state(*db, salon_id{"s1"}).value().value();
        auto const seq = good.seq.value();
        auto const problem = fmt::format(fmt::runtime(r.problem), seq - 3, seq + 1, seq);
        CHECK(verify_problems(*db, runtime::embedded_engine::default_partitions).empty());
        auto bad = good;
        r.change(bad);
        auto wb = db->make_batch();
        wb.put(store::family::state, "s1", codec::encode_state(bad));
        REQUIRE(db->write(wb, true));
        CHECK(verify_problems(*db, runtime::embedded_engine::default_partitions) == problem + "\n");
        wb.clear();
        wb.put(store::family::state, "s1", codec::encode_state(good));
        REQUIRE(db->write(wb, true));
    }
    // A salon with events below the states offset but no stored state.
    auto db = store::rocks_store::open(dir.path()).value();
    auto wb = db->make_batch();
    wb.erase(store::family::state, "s2");
    REQUIRE(db->write(wb, true));
    CHECK(verify_problems(*db, runtime::embedded_engine::default_partitions) ==
          "salon s2: no stored state, but events below the states offset\n");
}

TEST_CASE("checkpoint: failed writes leave the worker's cache exact") {
    for (auto const interval : {std::chrono::milliseconds{0}, std::chrono::milliseconds{3'600'000}}) {
        CAPTURE(interval.count());
        temp_dir dir;
        runtime::engine_options options;
        options.state_checkpoint_interval = interval;   // 0: every batch sweeps; an hour: only asked-for checkpoints
        options.state_checkpoint_bytes_per_command = 0; // (by the clock alone)
        options.inject_write_failure_every = 3;
        std::vector<std::string> const salons{"s1", "s2", "s3", "s4"};
        std::vector<command> commands; // the registrations first, then each salon's day
        commands.reserve(salons.size() * 30);
        for (auto const& s : salons) {
            commands.push_back(salon_day(s, 0).front());
        }
        for (auto const& s : salons) {
            auto day = salon_day(s, 10);
            commands.insert(commands.end(), day.begin() + 1, day.end());
        }
        std::uint64_t failures = 0;
        {
            auto engine = embedded_engine::open(dir.path(), options).value();
            // A command that failed is sent again; for s2 and s4 only after a checkpoint was asked for, which folds
            // their states again from the log before writing them (not for a decision).
            for (std::size_t i = 0; i < commands.size(); ++i) {
                for (;;) {
                    auto r = engine->submit_sync(commands[i]);
                    if (r) {
                        REQUIRE_MESSAGE(r->accepted(), commands[i].id.value());
                        break;
                    }
                    CHECK(r.error().message == "injected write failure");
                    ++failures;
                    for (auto const& s : salons) { // every read is exact after a failure
                        CHECK(engine->state(salon_id{s}).value() == fold_of(engine->events(), s));
                    }
                    if (commands[i].salon.value() == "s2" || commands[i].salon.value() == "s4") {
                        REQUIRE(engine->checkpoint());
                    }
                }
            }
            for (auto const& s : salons) {
                auto const expected = fold_of(engine->events(), s);
                REQUIRE(expected);
                CHECK(engine->state(salon_id{s}).value() == expected);
            }
            CHECK(verify_problems(engine->db(), engine->partition_count()).empty());
        }
        CHECK(failures >= 10);
        auto engine = embedded_engine::open(dir.path()).value();
        CHECK(engine->recovered_events() == 0);
        CHECK(verify_problems(engine->db(), engine->partition_count()).empty());
    }
}

namespace {

std::vector<std::string> salon_names(int n) {
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        out.push_back(fmt::format("m{:03}", i));
    }
    return out;
}

// Every salon's day, in turns: each salon's first command, then each one's second, ... so that each batch changes
// other salons than the one before.
std::vector<command> interleaved(std::vector<std::string> const& salons, int walk_ins) {
    std::vector<std::vector<command>> days;
    std::size_t longest = 0;
    for (auto const& s : salons) {
        days.push_back(salon_day(s, walk_ins));
        longest = std::max(longest, days.back().size());
    }
    std::vector<command> out;
    for (std::size_t i = 0; i < longest; ++i) {
        for (auto const& day : days) {
            if (i < day.size()) {
                out.push_back(day[i]);
            }
        }
    }
    return out;
}

// What verify checks of the stored states, after every batch the engine writes (from on_batch_written, on the
// worker's thread: with one worker nothing else writes meanwhile), folding only the events the batch added: each
// stored state equals its salon's fold at the state's seq, and none misses an event below its partition's states
// offset. And what the sweeps did: a sweep's batch that is not its last writes states and leaves every s/<p> where
// it was (mid-sweep); the batch that ends a sweep of several batches moves s/<p> to the events offsets as of the
// batch that began it, so below the partition's events end if events of p were written in between (behind).
class state_checks {
public:
    state_checks(std::int32_t partitions, std::uint64_t fail_every)
        : partitions_(partitions), fail_every_(fail_every), read_to_(static_cast<std::size_t>(partitions)),
          states_offsets_(static_cast<std::size_t>(partitions)) {}

    void attach(store::rocks_store const& db, log::reader& events) {
        db_ = &db;
        events_ = &events;
    }

    void after_batch() {
        ++batches_;
        count_write();
        try { // on the worker's thread: a failed read is a problem, not an exception out of the worker
            fold_new_events();
            bool const moved = read_states_offsets();
            auto const written = compare_stored_states();
            for (auto const& [salon, folded] : folded_) {
                compare_with_offset(salon, folded);
            }
            mid_sweep_ = written > 0 && !moved;
            mid_sweep_batches_ += mid_sweep_ ? 1 : 0;
        } catch (std::exception const& e) {
            problem(e.what());
        }
    }

    // The salon's fold of every event so far (none if it has none).
    [[nodiscard]] std::optional<salon_state> folded(std::string const& salon) const {
        auto it = folded_.find(salon);
        if (it == folded_.end()) {
            return std::nullopt;
        }
        return it->second.states.back();
    }

    std::vector<std::string> problems_;
    std::uint64_t batches_ = 0;
    std::uint64_t ended_behind_ = 0;      // partitions' s/ moved by a multi-batch sweep to below their events end
    std::uint64_t mid_sweep_batches_ = 0; // batches with a sweep's share that did not end it
    std::uint64_t failed_mid_sweep_ = 0;  // writes that failed right after such a batch

private:
    struct salon_log {
        partition_id partition;
        std::vector<std::int64_t> offsets; // of each event, by seq - 1
        std::vector<salon_state> states;   // the fold up to each seq, by seq - 1
        std::uint64_t stored_seq = 0;      // of the stored state (0: none)
    };

    void problem(std::string text) {
        if (problems_.size() < 20) {
            problems_.push_back(fmt::format("after batch {}: {}", batches_, text));
        }
    }

    // The worker's write count: every fail_every-th write failed and was not reported.
    void count_write() {
        auto const before = write_;
        if (++write_; fail_every_ > 0 && write_ % fail_every_ == 0) {
            ++write_;
        }
        if (write_ != before + 1 && mid_sweep_) {
            ++failed_mid_sweep_;
        }
    }

    void fold_new_events() {
        for (std::int32_t p = 0; p < partitions_; ++p) {
            auto& from = read_to_[static_cast<std::size_t>(p)];
            auto const end = events_->end_offset(partition_id{p}).value().value();
            auto visited =
                events_->visit(partition_id{p}, offset_t{from}, offset_t{end}, [&](log::record_view const& r) {
                    auto entry = codec::decode_entry(r.value).value();
                    if (auto const* e = std::get_if<event>(&entry)) {
                        auto& folded =
                            folded_.try_emplace(e->salon.value(), salon_log{r.partition, {}, {}, 0}).first->second;
                        auto next = folded.states.empty() ? salon_state{} : folded.states.back();
                        next.id = e->salon;
                        evolve(next, *e);
                        folded.offsets.push_back(r.offset.value());
                        folded.states.push_back(std::move(next));
                    }
                    return true;
                });
            if (!visited) {
                problem(visited.error().message);
            }
            from = end;
        }
    }

    // True if a states offset moved.
    bool read_states_offsets() {
        bool moved = false;
        for (std::int32_t p = 0; p < partitions_; ++p) {
            auto const offset = runtime::read_states_offset(*db_, partition_id{p}).value();
            auto& last = states_offsets_[static_cast<std::size_t>(p)];
            if (offset != last) {
                moved = true;
                last = offset;
                ended_behind_ += offset < read_to_[static_cast<std::size_t>(p)] ? 1 : 0;
            }
        }
        return moved;
    }

    // Each stored state written since the last batch against the fold at its seq; returns how many there were.
    std::size_t compare_stored_states() {
        std::size_t written = 0;
        auto scanned = db_->scan(store::family::state, "", "", [&](std::string_view key, std::string_view value) {
            auto& last = stored_[std::string{key}];
            if (last == value) {
                return true;
            }
            ++written;
            last = value;
            auto const state = codec::decode_state(value).value();
            auto it = folded_.find(std::string{key});
            auto const seq = state.seq.value();
            if (it == folded_.end() || seq == 0 || seq > it->second.states.size()) {
                problem(fmt::format("salon {}: stored state (seq {}) is ahead of its events", key, seq));
                return true;
            }
            it->second.stored_seq = seq;
            if (!(state == it->second.states[seq - 1])) {
                problem(fmt::format("salon {}: stored state differs from the fold of its events", key));
            }
            return true;
        });
        if (!scanned) {
            problem(scanned.error().message);
        }
        return written;
    }

    // Every event below the salon's partition's states offset is in its stored state.
    void compare_with_offset(std::string const& salon, salon_log const& folded) {
        auto const offset = states_offsets_[static_cast<std::size_t>(folded.partition.value())];
        auto const below = static_cast<std::uint64_t>(
            std::lower_bound(folded.offsets.begin(), folded.offsets.end(), offset) - folded.offsets.begin());
        if (folded.stored_seq < below && behind_.insert(salon).second) {
            problem(fmt::format("salon {}: stored state (seq {}) misses events below the states offset {} (seq {})",
                                salon, folded.stored_seq, offset, below));
        }
    }

    store::rocks_store const* db_ = nullptr;
    log::reader* events_ = nullptr;
    std::int32_t partitions_;
    std::uint64_t fail_every_;
    std::uint64_t write_ = 0;
    bool mid_sweep_ = false;
    std::vector<std::int64_t> read_to_;        // per partition: the events folded so far
    std::vector<std::int64_t> states_offsets_; // per partition
    std::map<std::string, salon_log> folded_;
    std::map<std::string, std::string> stored_; // each salon's stored state as last seen
    std::set<std::string> behind_;              // salons reported behind the states offset
};

} // namespace

// A sweep takes several batches (none of its salons are due in the one that begins it), and other salons change
// between the batch that begins it and the one that ends it: s/<p> must be the events offsets as of the first, or the
// salons changed meanwhile, left for the next sweep, would have stored states older than s/<p> says (the fold at open
// and every read would skip their events). With 200 salons changing in turns, four commands a batch and a checkpoint
// every 5 ms, most sweeps take several batches; the stored states are checked after every batch. If a slow machine
// decides too few batches in 5 ms for a sweep to take several, the case runs again with a longer interval. The second
// run fails every seventh write, some in the middle of a sweep (the sweep is given up; its salons are written by a
// later one).
TEST_CASE("checkpoint: a sweep over many batches writes the offsets of the batch that began it") {
    for (std::uint64_t const fail_every : {0, 7}) {
        CAPTURE(fail_every);
        for (auto const interval : {5ms, 20ms, 80ms, 320ms}) { // the longer ones only on a busy machine
            CAPTURE(interval.count());
            temp_dir dir;
            state_checks checks{runtime::embedded_engine::default_partitions, fail_every};
            runtime::engine_options options;
            options.mode = runtime::durability::relaxed;
            options.max_batch = 4;
            options.state_checkpoint_interval = interval;
            options.state_checkpoint_bytes_per_command = 0; // sweeps by the clock alone, so that some span batches
            options.inject_write_failure_every = fail_every;
            options.on_batch_written = [&checks](std::string_view) { checks.after_batch(); };
            auto engine = embedded_engine::open(dir.path(), options).value();
            checks.attach(engine->db(), engine->events());
            auto const salons = salon_names(200);
            auto const commands = interleaved(salons, 6);
            std::latch decided{static_cast<std::ptrdiff_t>(commands.size())};
            std::atomic<std::uint64_t> failed{0};
            for (auto const& c : commands) {
                engine->submit(c, [&](std::expected<runtime::outcome, runtime::error> const& r) {
                    failed += r ? 0 : 1;
                    decided.count_down();
                });
            }
            decided.wait();
            MESSAGE(checks.batches_ << " batches, " << failed.load() << " failed; " << checks.mid_sweep_batches_
                                    << " in the middle of a sweep, " << checks.failed_mid_sweep_
                                    << " writes failed there; s/<p> left behind the events end " << checks.ended_behind_
                                    << " times");
            std::string problems;
            for (auto const& p : checks.problems_) {
                problems += p + "\n";
            }
            CHECK_MESSAGE(checks.problems_.empty(), problems);
            CHECK((failed > 0) == (fail_every > 0));
            for (auto const& s : salons) {
                CAPTURE(s);
                CHECK(engine->state(salon_id{s}).value() == checks.folded(s));
            }
            engine.reset();
            engine = embedded_engine::open(dir.path()).value();
            CHECK(engine->recovered_events() == 0);
            CHECK(verify_problems(engine->db(), engine->partition_count()).empty());
            if (checks.ended_behind_ > 0 && (fail_every == 0 || checks.failed_mid_sweep_ > 0)) {
                break; // what this case is for happened
            }
            CHECK_MESSAGE(interval != 320ms, "no sweep took several batches (or none failed in the middle)");
        }
    }
}

// An idle worker writes a checkpoint that fell due a share at a time (at most idle_step salons each for 1,000
// salons, by the clock), not every changed salon at once: a command arriving meanwhile waits for one share. The shares
// together are the whole checkpoint: every stored state is the fold of the log and the states offsets are at its end.
TEST_CASE("checkpoint: an idle worker writes a due checkpoint a share at a time") {
    temp_dir dir;
    runtime::engine_options options;
    options.mode = runtime::durability::relaxed;
    options.state_checkpoint_interval = 3000ms;     // due only once every command is decided and the worker idle
    options.state_checkpoint_bytes_per_command = 0; // and then due by the clock alone
    std::mutex mutex;
    std::vector<std::size_t> shares;
    options.on_idle_share = [&](std::size_t salons) {
        std::lock_guard lock{mutex};
        shares.push_back(salons);
    };
    auto const opened = std::chrono::steady_clock::now();
    auto engine = embedded_engine::open(dir.path(), options).value();
    auto const salons = salon_names(1000);
    auto const commands = interleaved(salons, 0);
    std::latch decided{static_cast<std::ptrdiff_t>(commands.size())};
    for (auto const& c : commands) {
        engine->submit(c, [&](std::expected<runtime::outcome, runtime::error> const& r) {
            CHECK(r.has_value());
            decided.count_down();
        });
    }
    decided.wait();
    if (std::chrono::steady_clock::now() - opened > 2500ms) {
        MESSAGE("skipped: deciding took so long that a batch may have begun the checkpoint");
        return;
    }
    auto const shared = [&] {
        std::lock_guard lock{mutex};
        std::size_t total = 0;
        for (auto const n : shares) {
            total += n;
        }
        return total;
    };
    auto const caught_up = [&] {
        for (std::int32_t p = 0; p < engine->partition_count(); ++p) {
            if (runtime::read_states_offset(engine->db(), partition_id{p}).value() !=
                engine->events().end_offset(partition_id{p}).value().value()) {
                return false;
            }
        }
        return true;
    };
    // The hook runs after a share's write: the last share may be written and not counted yet.
    for (auto const until = std::chrono::steady_clock::now() + 20s;
         !(caught_up() && shared() == salons.size()) && std::chrono::steady_clock::now() < until;) {
        std::this_thread::sleep_for(20ms);
    }
    REQUIRE(caught_up());
    CHECK(shared() == salons.size());
    {
        std::lock_guard lock{mutex};
        CHECK(shares.size() >= salons.size() / runtime::checkpoint_sweep::idle_step);
        for (auto const n : shares) {
            CHECK(n <= runtime::checkpoint_sweep::idle_step);
        }
    }
    for (auto const& s : salons) {
        CAPTURE(s);
        auto const stored = runtime::read_state(engine->db(), salon_id{s}).value();
        REQUIRE(stored);
        CHECK(stored == engine->state(salon_id{s}).value()); // the cache is exact (the cases above)
    }
}

// checkpoint() is served after the batch under way, not only when a worker's queue is empty: under a steady stream
// of commands it returns, with s/<p> at least where the events log ended when it was called. The queue never empties:
// each batch takes 16 commands and a millisecond (on_committed sleeps), the submitter keeps 4,000 queued. From a
// completion (on the worker's thread) it fails at once.
TEST_CASE("checkpoint: checkpoint() returns while commands keep coming, and fails at once from a completion") {
    temp_dir dir;
    auto options = two_workers(16, std::chrono::hours{1}); // only the checkpoints asked for
    options.on_committed = [](std::span<runtime::outcome const* const>) { std::this_thread::sleep_for(1ms); };
    auto engine = embedded_engine::open(dir.path(), options).value();
    std::vector<std::string> const salons{"k1", "k2", "k3", "k4", "k5", "k6"};
    for (auto const& s : salons) {
        for (auto const& c : salon_day(s, 0)) {
            REQUIRE(engine->submit_sync(c)->accepted());
        }
    }

    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> queued{0};
    std::atomic<std::uint64_t> submitted{0};
    std::atomic<std::uint64_t> failed{0};
    std::thread submitter{[&] {
        for (std::uint64_t n = 0; !stop; ++n) {
            while (queued.load() >= 4'000 && !stop) {
                std::this_thread::yield();
            }
            auto const& salon = salons[n % salons.size()];
            ++queued;
            engine->submit(
                make_command(fmt::format("{}-w{}", salon, n), salon, walk_in("C" + std::to_string(n), {"HC"}), at(10)),
                [&](std::expected<runtime::outcome, runtime::error> const& r) {
                    failed += r ? 0 : 1;
                    --queued;
                });
            ++submitted;
        }
    }};
    while (engine->committed_commands() < 2'000) {
        std::this_thread::sleep_for(1ms);
    }
    std::vector<std::int64_t> ends;
    ends.reserve(static_cast<std::size_t>(engine->partition_count()));
    for (std::int32_t p = 0; p < engine->partition_count(); ++p) {
        ends.push_back(engine->events().end_offset(partition_id{p})->value());
    }
    auto asked = std::async(std::launch::async, [&] { return engine->checkpoint(); });
    bool const returned = asked.wait_for(20s) == std::future_status::ready;
    auto const submitted_then = submitted.load();
    // The stream goes on after it returned (within 5 s: a loaded machine may not run the submitter for a while; a
    // checkpoint that held the engine would stop it for good).
    for (auto const until = std::chrono::steady_clock::now() + 5s;
         submitted.load() == submitted_then && std::chrono::steady_clock::now() < until;) {
        std::this_thread::sleep_for(1ms);
    }
    CHECK(submitted.load() > submitted_then);
    stop = true;
    submitter.join();
    while (queued > 0) { // their completions use this frame
        std::this_thread::sleep_for(1ms);
    }
    CHECK_MESSAGE(returned, "checkpoint() did not return within 20 s while commands kept coming");
    CHECK(asked.get().has_value());
    CHECK(failed == 0);
    for (std::int32_t p = 0; p < engine->partition_count(); ++p) {
        CAPTURE(p);
        CHECK(runtime::read_states_offset(engine->db(), partition_id{p}).value() >= ends[static_cast<std::size_t>(p)]);
    }
    CHECK(ends != std::vector<std::int64_t>(ends.size(), 0));

    std::promise<std::expected<void, runtime::error>> from_completion;
    auto inside = from_completion.get_future();
    engine->submit(make_command("k1-inside", "k1", walk_in("Ina", {"HC"}), at(11)),
                   [&](std::expected<runtime::outcome, runtime::error> const&) {
                       from_completion.set_value(engine->checkpoint());
                   });
    REQUIRE(inside.wait_for(20s) == std::future_status::ready);
    auto const refused = inside.get();
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == runtime::errc::misconfigured);
    CHECK(engine->checkpoint().has_value()); // from another thread, still served
}

namespace {

// Each salon's fold of the whole events log after each of its events: [salon][seq - 1].
std::map<std::string, std::vector<salon_state>> fold_history(log::reader& events) {
    std::map<std::string, std::vector<salon_state>> out;
    for (std::int32_t p = 0; p < events.partition_count(); ++p) {
        auto const end = events.end_offset(partition_id{p}).value();
        REQUIRE(events.visit(partition_id{p}, offset_t{0}, end, [&](log::record_view const& r) {
            auto entry = codec::decode_entry(r.value).value();
            if (auto const* e = std::get_if<event>(&entry)) {
                auto& states = out[e->salon.value()];
                auto next = states.empty() ? salon_state{} : states.back();
                next.id = e->salon;
                evolve(next, *e);
                states.push_back(std::move(next));
            }
            return true;
        }));
    }
    return out;
}

} // namespace

// Reads beside the workers: a thread asks engine->state() for each salon in turn while two workers decide 7,000
// commands of 200 salons and end sweeps (a checkpoint every 2 ms, four commands a batch). A read takes s/<p>, then
// the stored state, then folds the tail; a sweep ending in between must not make it wrong. Each read is the fold of
// the salon's events up to the seq it has (not a stored state with a tail folded from the wrong offset), holds every
// command acknowledged before it began, and never goes back; two reads at one seq are equal. (Reading the state
// before s/<p> failed this case in each of 8 runs: reads behind what was acknowledged, seq gaps in the fold.)
TEST_CASE("checkpoint: reads beside two workers ending sweeps are exact and never go back") {
    temp_dir dir;
    auto const options = two_workers(4, 2ms);
    auto engine = embedded_engine::open(dir.path(), options).value();
    auto const salons = salon_names(200);
    auto const commands = interleaved(salons, 24);
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < salons.size(); ++i) {
        index.emplace(salons[i], i);
    }
    // The seq of each salon's last acknowledged event (its completions run in order, on its worker's thread).
    std::vector<std::atomic<std::uint64_t>> acked(salons.size());

    struct read {
        std::size_t salon;
        salon_state state;
    };
    std::vector<read> reads; // each salon's reads at a new seq
    std::vector<std::string> problems;
    std::uint64_t read_count = 0;
    std::uint64_t offsets_moved = 0; // s/<p> changes the reader saw between two passes
    std::atomic<bool> done{false};
    std::thread reader{[&] {
        std::vector<std::optional<salon_state>> last(salons.size());
        std::vector<std::int64_t> offsets(static_cast<std::size_t>(engine->partition_count()), 0);
        while (!done && problems.size() < 20) {
            for (std::size_t i = 0; i < salons.size(); ++i) {
                auto const before = acked[i].load();
                auto r = engine->state(salon_id{salons[i]});
                ++read_count;
                if (!r) {
                    problems.push_back(fmt::format("salon {}: {}", salons[i], r.error().message));
                    continue;
                }
                auto const seq = *r ? (*r)->seq.value() : 0;
                auto const last_seq = last[i] ? last[i]->seq.value() : 0;
                if (seq < before) {
                    problems.push_back(
                        fmt::format("salon {}: read at seq {} after seq {} was acknowledged", salons[i], seq, before));
                } else if (seq < last_seq) {
                    problems.push_back(
                        fmt::format("salon {}: read at seq {} after one at {}", salons[i], seq, last_seq));
                } else if (seq == last_seq && *r != last[i]) {
                    problems.push_back(fmt::format("salon {}: two reads at seq {} differ", salons[i], seq));
                } else if (seq != last_seq) {
                    reads.push_back({i, **r});
                }
                last[i] = std::move(*r);
            }
            for (std::int32_t p = 0; p < engine->partition_count(); ++p) {
                auto const offset = runtime::read_states_offset(engine->db(), partition_id{p}).value();
                if (std::exchange(offsets[static_cast<std::size_t>(p)], offset) != offset) {
                    ++offsets_moved;
                }
            }
        }
    }};

    std::latch decided{static_cast<std::ptrdiff_t>(commands.size())};
    std::atomic<std::uint64_t> failed{0};
    for (auto const& c : commands) {
        engine->submit(c, [&](std::expected<runtime::outcome, runtime::error> const& r) {
            if (!r) {
                ++failed;
            } else if (r->accepted()) {
                acked[index.at(r->salon.value())] = std::get<event>(r->entries.back()).seq.value();
            }
            decided.count_down();
        });
    }
    decided.wait();
    done = true;
    reader.join();
    MESSAGE(read_count << " reads, " << reads.size() << " at a new seq; s/<p> moved " << offsets_moved
                       << " times between two passes");
    CHECK(failed == 0);
    std::string listed;
    for (auto const& p : problems) {
        listed += p + "\n";
    }
    CHECK_MESSAGE(problems.empty(), listed);
    CHECK(offsets_moved > 10); // the sweeps ended while the reads went on

    auto const history = fold_history(engine->events());
    std::size_t wrong = 0;
    for (auto const& r : reads) {
        auto const& states = history.at(salons[r.salon]);
        auto const seq = r.state.seq.value();
        if (seq == 0 || seq > states.size() || !(r.state == states[seq - 1])) {
            ++wrong;
        }
    }
    CHECK(wrong == 0);
    CHECK(reads.size() > salons.size());
    CHECK(verify_problems(engine->db(), engine->partition_count()).empty());
}

// A stale salon (a write failed) whose state cannot be folded again (here its stored state does not decode) keeps
// the checkpoints from moving the states offsets: the tail every read and open fold grows. That is said in the log,
// naming the salon, at most once a minute.
TEST_CASE("checkpoint: offsets held back by a salon that cannot be folded again are said once a minute") {
    temp_dir dir;
    std::FILE* out = std::tmpfile();
    REQUIRE(out != nullptr);
    salonq::logging::configure(salonq::logging::level::info, salonq::logging::format::text, out);
    {
        runtime::engine_options options;
        options.state_checkpoint_interval = std::chrono::hours{1}; // only the checkpoints asked for
        options.inject_write_failure_every = 2;
        auto engine = embedded_engine::open(dir.path(), options).value();
        auto const day = salon_day("x1", 0);
        REQUIRE(engine->submit_sync(day[0])->accepted()); // write 1
        REQUIRE(engine->checkpoint());
        auto wb = engine->db().make_batch();
        wb.put(store::family::state, "x1", "not a state");
        REQUIRE(engine->db().write(wb, true));
        CHECK_FALSE(engine->submit_sync(day[1]).has_value());            // write 2 fails: x1 is stale
        REQUIRE(engine->submit_sync(salon_day("y1", 0)[0])->accepted()); // write 3
        auto const p = partition_id{log::partition_for("y1", engine->partition_count())};
        auto const held = runtime::read_states_offset(engine->db(), p).value();
        for (int i = 0; i < 3; ++i) {
            auto const written = engine->checkpoint();
            REQUIRE_FALSE(written.has_value());
            CHECK(written.error().message.find("salon x1") != std::string::npos);
        }
        CHECK(runtime::read_states_offset(engine->db(), p).value() == held);
        CHECK(held < engine->events().end_offset(p)->value());
    }
    salonq::logging::configure(salonq::logging::level::info, salonq::logging::format::text, stderr);
    REQUIRE(std::fseek(out, 0, SEEK_SET) == 0);
    std::string text;
    for (int ch = std::fgetc(out); ch != EOF; ch = std::fgetc(out)) {
        text.push_back(static_cast<char>(ch));
    }
    std::fclose(out);
    INFO(text);
    std::string const said = "salon x1: its state cannot be folded again";
    auto const first = text.find(said);
    CHECK(first != std::string::npos);
    CHECK(text.find(said, first + 1) == std::string::npos); // four checkpoints (the last at stop), one line
}

// The checkpoint budget (checkpoint_sweep, docs/checkpoint-budget.md) in the engine: with it, a salon whose state is
// large against the commands since the last sweep is not written again however much time passes; without it, the
// clock alone writes it. The stored state is read from RocksDB while the engine runs.
TEST_CASE("checkpoint: with a budget, states wait for the log to pay for them; without one, for the clock") {
    for (std::size_t const bytes_per_command : {std::size_t{0}, std::size_t{1}}) { // 1: a command per byte
        CAPTURE(bytes_per_command);
        temp_dir dir;
        runtime::engine_options options;
        options.mode = runtime::durability::relaxed;
        options.state_checkpoint_interval = 5ms;
        options.state_checkpoint_bytes_per_command = bytes_per_command;
        auto engine = embedded_engine::open(dir.path(), options).value();
        auto const stored_seq = [&] {
            auto s = runtime::read_state(engine->db(), salon_id{"a"}).value();
            return s ? s->seq.value() : 0;
        };
        auto const wait_for = [&](auto const& done) {
            for (auto deadline = std::chrono::steady_clock::now() + 10s; !done();) {
                REQUIRE(std::chrono::steady_clock::now() < deadline);
                std::this_thread::sleep_for(5ms);
            }
        };
        for (auto const& c : salon_day("a", 10)) {
            REQUIRE(engine->submit_sync(c));
        }
        auto const first = engine->state(salon_id{"a"}).value()->seq.value();
        // The first sweep: nothing written before, the clock decides. Without a budget every later one writes the
        // latest state; with one, the first sweep (on a loaded machine, begun before the day's last command) leaves
        // the state it wrote, whatever it held.
        wait_for([&] { return bytes_per_command == 0 ? stored_seq() == first : stored_seq() > 0; });
        auto const swept = stored_seq();
        for (auto const& c : salon_day("a", 10, 10)) {
            REQUIRE(engine->submit_sync(c));
        }
        auto const last = engine->state(salon_id{"a"}).value()->seq.value();
        REQUIRE(last > first);
        if (bytes_per_command == 0) {
            wait_for([&] { return stored_seq() == last; });
        } else {
            std::this_thread::sleep_for(200ms); // forty intervals
            CHECK(stored_seq() == swept);
        }
        engine.reset(); // a clean stop writes every changed state, budget or not
        engine = embedded_engine::open(dir.path(), options).value();
        CHECK(engine->recovered_events() == 0);
        CHECK(stored_seq() == last);
    }
}
