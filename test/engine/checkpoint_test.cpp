// The embedded engine's salon states as a checkpoint of the log (docs/design.md, "Checkpointed states"), with real
// RocksDB: a restart after kill -9 folds the events after the last checkpoint, reads between checkpoints are exact
// (the engine, a read-only view, `salonq state`), verify still catches a stored state that disagrees with the log,
// and failed writes leave the worker's cache exact.

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/log/partitioner.hpp"
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

#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <thread>

namespace {

using namespace salonq::engine;
using namespace std::chrono_literals;
using runtime::embedded_engine;
using namespace salonq::test;

instant at(int minutes) { return from_unix_ms(1'795'000'000'000) + std::chrono::minutes{minutes}; } // Nov 2026

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
        options.state_checkpoint_interval = interval; // 0: every batch sweeps; an hour: only asked-for checkpoints
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
