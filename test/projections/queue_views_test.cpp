// The projection runtime over a real RocksDB (a temp directory) and, as its feed, the real embedded engine: apply,
// restart and resume from the stored offsets, catch_up from the engine's events reader, gaps and duplicates,
// subscribers, and "rebuild == incremental".

#include "engine/codec/event_codec.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/runtime/rebuild.hpp"
#include "engine/sim/day_simulator.hpp"
#include "projections/queue/observed_estimator.hpp"
#include "projections/queue/view_codec.hpp"
#include "projections/store/outcome_index.hpp"
#include "projections/store/queue_views.hpp"
#include "test/engine/scenario.hpp"
#include "test/support/process.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace salonq::test {
namespace {

using namespace salonq::projections;
using runtime::embedded_engine;

constexpr std::int32_t partitions = 4;

std::unique_ptr<queue_views> open_views(std::string const& dir, std::int32_t count = partitions) {
    auto views = queue_views::open(dir, count, std::make_unique<list_schedule_estimator>());
    REQUIRE_MESSAGE(views.has_value(), views.error().message);
    return std::move(*views);
}

std::unique_ptr<embedded_engine> open_engine(std::string const& dir) {
    runtime::engine_options options;
    options.partitions = partitions;
    options.mode = runtime::durability::relaxed;
    auto engine = embedded_engine::open(dir, options);
    REQUIRE_MESSAGE(engine.has_value(), engine.error().message);
    return std::move(*engine);
}

// Every entry of the events log, decoded, by salon (events only, in seq order).
std::map<std::string, std::vector<event>> events_by_salon(log::reader& events) {
    std::map<std::string, std::vector<event>> out;
    for (std::int32_t p = 0; p < events.partition_count(); ++p) {
        auto records = events.read(partition_id{p}, offset_t{0}, 1'000'000);
        REQUIRE(records.has_value());
        for (auto const& r : *records) {
            auto entry = codec::decode_entry(r.value);
            REQUIRE(entry.has_value());
            if (auto const* e = std::get_if<event>(&*entry)) {
                out[e->salon.value()].push_back(*e);
            }
        }
    }
    return out;
}

// The view the store must hold: every event folded as its runtime folds them (with each ticket's join estimate),
// then the estimates.
queue_view fold_view(std::vector<event> const& events) {
    queue_view v;
    list_schedule_estimator const estimator;
    for (auto const& e : events) {
        apply_and_record_join(v, e, estimator);
    }
    estimator.estimate(v);
    return v;
}

// Drives a simulated day of three salons through the engine; each outcome goes to `sink` as the engine would hand
// it over after its commit.
void simulate(embedded_engine& engine, std::uint64_t seed, std::function<void(runtime::outcome const&)> const& sink,
              std::int32_t days = 1, std::string const& prefix = "salon") {
    sim::sim_options options;
    options.salon_prefix = prefix;
    options.salons = 3;
    options.days = days;
    options.seed = seed;
    sim::day_simulator{options}.run([&](std::vector<command> const& batch) {
        std::vector<std::vector<log_entry>> out;
        for (auto const& c : batch) {
            auto done = engine.submit_sync(c);
            REQUIRE_MESSAGE(done.has_value(), done.error().message);
            if (!done->duplicate) {
                sink(*done);
            }
            out.push_back(done->entries);
        }
        return out;
    });
}

void check_matches_log(queue_views const& views, embedded_engine& engine) {
    auto const all = events_by_salon(engine.events());
    REQUIRE_FALSE(all.empty());
    for (auto const& [salon, events] : all) {
        std::string const name = salon;
        CAPTURE(name);
        auto snap = views.view(salon_id{salon});
        REQUIRE(snap != nullptr);
        auto const expected = fold_view(events);
        CHECK(snap->view == expected);
        CHECK(snap->seq == expected.seq);
        CHECK(snap->json() == encode_view(expected, view_form::served));
        CHECK(snap->json().find("\"observed\"") == std::string::npos); // staff speeds stay off screens
        auto const state = engine.state(salon_id{salon});
        REQUIRE(state.has_value());
        REQUIRE(state->has_value());
        CHECK(snap->seq == (*state)->seq);
    }
    for (std::int32_t p = 0; p < partitions; ++p) {
        CHECK(views.next_offset(partition_id{p}) == *engine.events().end_offset(partition_id{p}));
    }
    CHECK(views.health().ok());
}

std::vector<log_entry> entries_of(std::vector<event> const& events) { return {events.begin(), events.end()}; }

TEST_CASE("queue_views: applied outcomes, a restart resumes from the stored offsets") {
    temp_dir dir;
    auto engine = open_engine(dir / "engine");
    std::uint64_t changes = 0;
    {
        auto views = open_views(dir / "views");
        views->subscribe([&](change const&) { ++changes; });
        simulate(*engine, 7, [&](runtime::outcome const& o) {
            auto applied = views->apply(o.partition, o.first_offset, o.entries);
            REQUIRE_MESSAGE(applied.has_value(), applied.error().message);
        });
        check_matches_log(*views, *engine);
        CHECK(changes > 100);
    }
    auto views = open_views(dir / "views");
    check_matches_log(*views, *engine); // loaded, not replayed
    std::uint64_t after_restart = 0;
    views->subscribe([&](change const&) { ++after_restart; });
    REQUIRE(views->catch_up(engine->events()));
    CHECK(after_restart == 0);

    // Entries handed over twice (a retried hand-off) are skipped by offset.
    auto again = engine->submit_sync(make_command("late-1", "salon-0001", walk_in("Late", {"HC"}), {}));
    REQUIRE(again.has_value());
    REQUIRE(views->apply(again->partition, again->first_offset, again->entries));
    REQUIRE(views->apply(again->partition, again->first_offset, again->entries));
    CHECK(after_restart == 1);
    CHECK(views->health().duplicates == 0);
    check_matches_log(*views, *engine);

    views.reset();
    auto wrong = queue_views::open(dir / "views", partitions + 1, std::make_unique<list_schedule_estimator>());
    REQUIRE_FALSE(wrong.has_value());
    CHECK(wrong.error().code == errc::misconfigured);
}

// The views' side of the crash test below, in a process of its own (a fork would inherit RocksDB's thread pool
// without its threads): runs only when that test starts it. Applies the log, checkpoints, applies more, and dies
// without closing (no last checkpoint, no flush), as kill -9 leaves it.
TEST_CASE("queue_views: (child of the crash test) applies, checkpoints, applies more and dies") {
    char const* dir = std::getenv("SALONQ_VIEWS_CHILD_DIR");
    if (dir == nullptr) {
        return;
    }
    auto engine = open_engine(std::string{dir} + "/engine");
    auto views = open_views(std::string{dir} + "/views");
    if (!views->catch_up(engine->events()) || !views->checkpoint()) {
        ::_exit(2);
    }
    for (int i = 0; i < 50; ++i) {
        auto o = engine->submit_sync(make_command("after-" + std::to_string(i), "salon-000" + std::to_string(1 + i % 3),
                                                  walk_in("Late", {"HC"}), {}));
        if (!o || !views->apply(o->partition, o->first_offset, o->entries)) {
            ::_exit(3);
        }
    }
    ::_exit(0);
}

TEST_CASE("queue_views: killed between checkpoints, the views reopen at a consistent point and catch up") {
    temp_dir dir;
    {
        auto engine = open_engine(dir / "engine");
        simulate(*engine, 11, [](runtime::outcome const&) {});
    }
    child_process child({"/usr/bin/env", "SALONQ_VIEWS_CHILD_DIR=" + dir.path(),
                         std::filesystem::read_symlink("/proc/self/exe").string(),
                         "--test-case=queue_views: (child of the crash test)*"},
                        dir / "child.log", true);
    REQUIRE(child.wait() == 0);

    auto engine = open_engine(dir / "engine");
    auto views = open_views(dir / "views");
    for (std::int32_t p = 0; p < partitions; ++p) {
        // Whatever survived is a point the views and offsets share; the walk-ins after the checkpoint are not there.
        MESSAGE("partition " << p << ": views at offset " << views->next_offset(partition_id{p}).value() << " of "
                             << engine->events().end_offset(partition_id{p})->value());
    }
    // Each partition's views are exactly the fold of its events before its stored offset: a consistent cut.
    for (std::int32_t p = 0; p < partitions; ++p) {
        auto const cut = views->next_offset(partition_id{p}).value();
        if (cut == 0) {
            continue; // nothing of it survived (no flush happened): catch_up folds it all
        }
        auto records = engine->events().read(partition_id{p}, offset_t{0}, static_cast<std::size_t>(cut));
        REQUIRE(records.has_value());
        std::map<std::string, std::vector<event>> before_cut;
        for (auto const& r : *records) {
            if (auto entry = codec::decode_entry(r.value); entry && std::holds_alternative<event>(*entry)) {
                auto const& e = std::get<event>(*entry);
                before_cut[e.salon.value()].push_back(e);
            }
        }
        for (auto const& [salon, events] : before_cut) {
            auto snap = views->view(salon_id{salon});
            REQUIRE(snap != nullptr);
            CHECK(snap->view == fold_view(events));
        }
    }
    REQUIRE(views->catch_up(engine->events()));
    check_matches_log(*views, *engine);
}

// The views' side of the sweep crash test below, in a process of its own. With a 10 ms checkpoint interval (a sweep
// every 10 ms, its salons handed out over 5 ms, a flush after a share every 60 ms) it applies the engine's log a few
// records at a time, round the partitions, and dies after SALONQ_VIEWS_SWEEP_MS milliseconds without closing, as
// kill -9 leaves it: the store holds what the last flush took, often views of a sweep whose offsets are not stored.
TEST_CASE("queue_views: (child of the sweep crash test) applies a few records at a time and dies") {
    char const* dir = std::getenv("SALONQ_VIEWS_SWEEP_DIR");
    char const* after = std::getenv("SALONQ_VIEWS_SWEEP_MS");
    if (dir == nullptr || after == nullptr) {
        return;
    }
    std::thread{[ms = std::stoi(after)] {
        std::this_thread::sleep_for(std::chrono::milliseconds{ms});
        ::_exit(0);
    }}.detach();
    auto engine = open_engine(std::string{dir} + "/engine");
    auto views = queue_views::open(std::string{dir} + "/views", partitions, std::make_unique<list_schedule_estimator>(),
                                   false, std::chrono::milliseconds{10}, 0); // sweeps by the clock alone
    if (!views || (*views)->health().duplicates != 0) {
        ::_exit(2);
    }
    for (bool more = true; more;) {
        more = false;
        for (std::int32_t p = 0; p < partitions; ++p) {
            auto records = engine->events().read(partition_id{p}, (*views)->next_offset(partition_id{p}), 4);
            if (!records) {
                ::_exit(3);
            }
            std::vector<log_entry> entries;
            for (auto const& r : *records) {
                auto entry = codec::decode_entry(r.value);
                if (!entry) {
                    ::_exit(4);
                }
                entries.push_back(std::move(*entry));
            }
            if (!entries.empty() && !(*views)->apply(partition_id{p}, records->front().offset, entries)) {
                ::_exit(5);
            }
            // A record applied again after a restart is in a stored view already: never counted as a duplicate.
            if ((*views)->health().duplicates != 0) {
                ::_exit(6);
            }
            more = more || !entries.empty();
        }
        std::this_thread::sleep_for(std::chrono::microseconds{300});
    }
    std::this_thread::sleep_for(std::chrono::hours{1}); // the whole log applied: wait for the end
}

// A checkpoint is written a share at a time (queue_views::checkpoint): views stored before the offsets of the sweep
// they belong to. Forty salons' day in the log; a process applies it slowly and is killed, again and again, each
// starting from what the last one left. Then the views are the log's, and no record read again was counted as a
// duplicate. Fails if a stored view's offset is not honoured (duplicates) or the sweep stores the offsets of its end
// (events lost between its beginning and end).
TEST_CASE("queue_views: killed during a checkpoint's sweep, again and again: the views are the log's, no duplicate") {
    temp_dir dir;
    {
        auto engine = open_engine(dir / "engine");
        sim::sim_options options;
        options.salons = 40;
        options.seed = 5;
        sim::day_simulator{options}.run([&](std::vector<command> const& batch) {
            std::vector<std::vector<log_entry>> out;
            for (auto const& c : batch) {
                auto done = engine->submit_sync(c);
                REQUIRE_MESSAGE(done.has_value(), done.error().message);
                out.push_back(done->entries);
            }
            return out;
        });
    }
    for (int run = 0; run < 8; ++run) {
        child_process child({"/usr/bin/env", "SALONQ_VIEWS_SWEEP_DIR=" + dir.path(),
                             "SALONQ_VIEWS_SWEEP_MS=" + std::to_string(150 + 37 * run),
                             std::filesystem::read_symlink("/proc/self/exe").string(),
                             "--test-case=queue_views: (child of the sweep crash test)*"},
                            dir / "child.log", true);
        CAPTURE(run);
        REQUIRE(child.wait() == 0);
    }
    auto engine = open_engine(dir / "engine");
    auto views = open_views(dir / "views");
    REQUIRE(views->catch_up(engine->events()));
    CHECK(views->health().duplicates == 0);
    check_matches_log(*views, *engine);
}

TEST_CASE("queue_views: catch_up from the engine's events log, and rebuild == incremental") {
    temp_dir dir;
    auto engine = open_engine(dir / "engine");
    auto incremental = open_views(dir / "incremental");
    auto resumed = open_views(dir / "resumed");
    std::size_t outcomes = 0;
    simulate(*engine, 11, [&](runtime::outcome const& o) {
        REQUIRE(incremental->apply(o.partition, o.first_offset, o.entries));
        if (++outcomes % 97 == 0) {
            REQUIRE(resumed->catch_up(engine->events())); // a reader that polls now and then
        }
    });
    resumed.reset();
    resumed = open_views(dir / "resumed"); // restarted before the end: resumes
    REQUIRE(resumed->catch_up(engine->events()));
    auto rebuilt = open_views(dir / "rebuilt");
    REQUIRE(rebuilt->catch_up(engine->events()));

    check_matches_log(*incremental, *engine);
    check_matches_log(*resumed, *engine);
    check_matches_log(*rebuilt, *engine);
    for (auto const& [salon, events] : events_by_salon(engine->events())) {
        salon_id const id{salon};
        CHECK(rebuilt->view(id)->json() == incremental->view(id)->json());
        CHECK(resumed->view(id)->json() == incremental->view(id)->json());
    }

    // An apply that skips offsets is refused until a catch-up fills them in.
    auto one = engine->submit_sync(make_command("x-1", "salon-0002", walk_in("Xi", {"HC"}), {}));
    auto two = engine->submit_sync(make_command("x-2", "salon-0002", walk_in("Yu", {"HC"}), {}));
    REQUIRE((one && two));
    auto ahead = incremental->apply(two->partition, two->first_offset, two->entries);
    REQUIRE_FALSE(ahead.has_value());
    CHECK(ahead.error().code == errc::offset_ahead);
    REQUIRE(incremental->catch_up(engine->events()));
    REQUIRE(incremental->apply(two->partition, two->first_offset, two->entries));
    check_matches_log(*incremental, *engine);
}

// Walk-ins in a row (docs/wait-prediction.md): the measured predictor's estimates are a function of the events, not of
// how the runtime batched them or whether it was closed and reopened between them (a reopened view has no schedule
// cache and works it out again).
TEST_CASE("queue_views: walk-ins in a row give the same views in batches of any size, and across a reopen") {
    auto s = open_salon();
    walk_ins(s, 5);
    s.given(start("st1", 1), start("st2", 2));
    for (std::uint64_t burst = 0; burst < 4; ++burst) {
        for (int i = 0; i < 6; ++i) {
            s.after(std::chrono::seconds{4}).given(walk_in("b" + std::to_string(burst) + "-" + std::to_string(i)));
        }
        s.after(std::chrono::seconds{20}).given(cancel(6 + burst));
    }
    std::vector<log_entry> const entries(s.history().begin(), s.history().end());
    auto const fold_in = [&](std::filesystem::path const& dir, std::size_t batch, std::size_t reopen_at) {
        std::unique_ptr<queue_views> views;
        auto const reopen = [&] {
            views.reset();
            auto opened = queue_views::open(dir, 1, std::make_unique<observed_estimator>());
            REQUIRE_MESSAGE(opened.has_value(), opened.error().message);
            views = std::move(*opened);
        };
        reopen();
        for (std::size_t at = 0; at < entries.size(); at += batch) {
            if (at <= reopen_at && reopen_at < at + batch) {
                reopen();
            }
            auto const n = std::min(batch, entries.size() - at);
            REQUIRE(views->apply(partition_id{0}, offset_t{static_cast<std::int64_t>(at)},
                                 std::span{entries}.subspan(at, n)));
        }
        auto const held = views->view(salon_id{"s1"});
        REQUIRE(held != nullptr);
        return encode_view(held->view);
    };
    temp_dir dir;
    auto const one_by_one = fold_in(dir / "1", 1, entries.size());
    CHECK(one_by_one.find("estimateBasis") != std::string::npos);
    for (auto const& [batch, reopen_at] :
         {std::pair{std::size_t{3}, entries.size()}, std::pair{std::size_t{7}, 26uz}, std::pair{std::size_t{1}, 20uz},
          std::pair{std::size_t{1}, 27uz}, std::pair{entries.size(), 0uz}}) {
        CAPTURE(batch);
        CAPTURE(reopen_at);
        CHECK(fold_in(dir / (std::to_string(batch) + "-" + std::to_string(reopen_at)), batch, reopen_at) == one_by_one);
    }
}

TEST_CASE("queue_views: a duplicate is skipped, a gap breaks the salon; both counted, never applied") {
    temp_dir dir;
    auto a = open_salon("Europe/London", "a");
    walk_ins(a, 3);
    auto b = open_salon("Europe/London", "b");
    auto const& ha = a.history(); // seq 1..11
    auto const& hb = b.history(); // seq 1..8
    partition_id const p{1};
    {
        auto views = open_views(dir / "views");
        std::vector<std::pair<std::string, std::uint64_t>> seen;
        std::vector<std::size_t> rejections;
        views->subscribe([&](change const& c) {
            for (auto const& e : c.events) {
                seen.emplace_back(e.salon.value(), e.seq.value());
            }
            rejections.push_back(c.rejections.size());
            CHECK(views->view(c.salon) == c.now); // a callback may read
        });
        auto first = entries_of(std::vector<event>(ha.begin(), ha.begin() + 9));
        first.emplace_back(rejected_command{salon_id{"a"},
                                            seq_t{9},
                                            command_id{"r-1"},
                                            terminal(),
                                            {},
                                            "complete",
                                            rejection{rejection_code::not_serving, "no"}});
        REQUIRE(views->apply(p, offset_t{0}, first)); // offsets 0..9
        CHECK(views->view(salon_id{"a"})->seq == seq_t{9});
        CHECK(rejections.back() == 1);

        // a's seq 8 again (a duplicate) and 10, b's 1..8; then a's 11 after a missing 10 (a gap) in b's way.
        std::vector<log_entry> second{ha[7], ha[9]};
        for (auto const& e : hb) {
            second.emplace_back(e);
        }
        REQUIRE(views->apply(p, offset_t{10}, second));
        CHECK(views->view(salon_id{"a"})->seq == seq_t{10});
        CHECK(views->view(salon_id{"b"})->seq == seq_t{8});
        auto h = views->health();
        CHECK(h.duplicates == 1);
        CHECK(h.gaps == 0);
        CHECK(h.ok());

        auto gap = b;
        gap.given(walk_in("Zed"), walk_in("Yan")); // b's seq 9 and 10
        REQUIRE(views->apply(p, offset_t{20}, std::vector<log_entry>{gap.history()[9], ha[10], gap.history()[8]}));
        h = views->health();
        CHECK(h.gaps == 2); // b's 10 (the gap) and b's 9, which came too late: b is broken
        CHECK(h.duplicates == 1);
        REQUIRE(h.broken.size() == 1);
        CHECK(h.broken[0] == broken_salon{salon_id{"b"}, seq_t{8}, seq_t{10}, p, offset_t{20}});
        CHECK_FALSE(h.ok());
        CHECK(views->view(salon_id{"b"})->seq == seq_t{8});  // it stops at the gap
        CHECK(views->view(salon_id{"a"})->seq == seq_t{11}); // other salons go on
        CHECK(views->next_offset(p) == offset_t{23});
        CHECK(seen.size() == 9 + 1 + 8 + 1);
        CHECK(seen.back() == std::pair<std::string, std::uint64_t>{"a", 11});

        // A salon's first event that is not seq 1 is a gap too.
        auto c = open_salon("Europe/London", "c");
        REQUIRE(views->apply(p, offset_t{23}, std::vector<log_entry>{c.history()[1]}));
        CHECK(views->view(salon_id{"c"}) == nullptr);
        CHECK(views->health().broken.size() == 2);
    }
    auto views = open_views(dir / "views"); // the broken salons are remembered
    auto const h = views->health();
    CHECK(h.broken.size() == 2);
    CHECK(h.gaps == 0); // counters count since open
    CHECK(views->view(salon_id{"b"})->seq == seq_t{8});
}

TEST_CASE("queue_views: a subscriber that throws does not stop the others; unsubscribe stops the calls") {
    temp_dir dir;
    auto views = open_views(dir / "views");
    auto s = open_salon("UTC", "t");
    std::vector<log_entry> const log{s.history().begin(), s.history().end()};
    int calls = 0;
    auto const thrower = views->subscribe([](change const&) { throw std::runtime_error{"a broken screen"}; });
    auto const counter = views->subscribe([&](change const&) { ++calls; });
    REQUIRE(views->apply(partition_id{0}, offset_t{0}, std::span{log}.first(4)));
    CHECK(calls == 1);
    views->unsubscribe(thrower);
    views->unsubscribe(counter);
    REQUIRE(views->apply(partition_id{0}, offset_t{4}, std::span{log}.subspan(4)));
    CHECK(calls == 1);
    CHECK(views->view(salon_id{"t"})->seq == seq_t{8});
}

TEST_CASE("queue_views: many appliers and readers at once; changes arrive in seq order per salon") {
    temp_dir dir;
    auto views = open_views(dir / "views");
    std::mutex m;
    std::map<std::string, std::uint64_t> last_seq;
    std::atomic<bool> in_order{true};
    views->subscribe([&](change const& c) {
        std::scoped_lock lock{m};
        for (auto const& e : c.events) {
            auto& last = last_seq[e.salon.value()];
            in_order = in_order && e.seq.value() == last + 1;
            last = e.seq.value();
        }
    });
    // Four salons per partition, one applier thread per partition, each handing over its events a few at a time.
    std::vector<std::vector<log_entry>> logs(partitions);
    for (std::int32_t p = 0; p < partitions; ++p) {
        for (int k = 0; k < 4; ++k) {
            auto s = open_salon("UTC", "p" + std::to_string(p) + "-" + std::to_string(k));
            walk_ins(s, 40);
            for (std::uint64_t t = 1; t <= 40; t += 2) {
                s.given(start("st1", t), complete(t));
            }
            logs[static_cast<std::size_t>(p)].insert(logs[static_cast<std::size_t>(p)].end(), s.history().begin(),
                                                     s.history().end());
        }
    }
    std::vector<std::thread> appliers;
    appliers.reserve(partitions);
    for (std::int32_t p = 0; p < partitions; ++p) {
        appliers.emplace_back([&, p] {
            auto const& log = logs[static_cast<std::size_t>(p)];
            std::size_t done = 0;
            while (done < log.size()) {
                auto const n = std::min<std::size_t>(7, log.size() - done);
                auto applied = views->apply(partition_id{p}, offset_t{static_cast<std::int64_t>(done)},
                                            std::span{log}.subspan(done, n));
                CHECK(applied.has_value());
                done += n;
            }
        });
    }
    std::atomic<bool> stop{false};
    std::atomic<bool> torn{false};
    std::thread reader{[&] {
        std::uint64_t last = 0;
        while (!stop) {
            if (auto snap = views->view(salon_id{"p0-0"})) {
                torn = torn || snap->seq.value() < last || snap->seq != snap->view.seq || snap->json().size() < 10;
                last = snap->seq.value();
            }
        }
    }};
    for (auto& t : appliers) {
        t.join();
    }
    stop = true;
    reader.join();
    CHECK(in_order);
    CHECK_FALSE(torn); // a reader never sees a view go back or a snapshot whose parts disagree
    CHECK(last_seq.size() == 16);
    for (auto const& [salon, seq] : last_seq) {
        CHECK(seq == 8 + 40 + 40);
        CHECK(views->view(salon_id{salon})->seq == seq_t{seq});
    }
    CHECK(views->health().ok());
}

TEST_CASE("queue_views: a snapshot a reader holds never changes, though applies reuse the storage of dropped ones") {
    temp_dir dir;
    auto views = open_views(dir / "views");
    auto s = open_salon("UTC", "held");
    walk_ins(s, 30);
    for (std::uint64_t t = 1; t <= 10; ++t) {
        s.given(start("st1", t), complete(t));
    }
    std::vector<log_entry> const log(s.history().begin(), s.history().end());
    // One entry per apply; every third snapshot is kept as a screen would keep it, the others dropped at once, so
    // the next apply builds in their storage.
    std::vector<std::pair<std::shared_ptr<snapshot const>, queue_view>> held;
    for (std::size_t k = 0; k < log.size(); ++k) {
        REQUIRE(views->apply(partition_id{0}, offset_t{static_cast<std::int64_t>(k)}, std::span{log}.subspan(k, 1)));
        auto snap = views->view(salon_id{"held"});
        REQUIRE(snap != nullptr);
        if (k % 3 == 0) {
            held.emplace_back(snap, snap->view);
        }
    }
    REQUIRE(held.size() > 10);
    for (auto const& [snap, then] : held) {
        CHECK(snap->view == then);
        CHECK(snap->view.seq == snap->seq);
    }
    CHECK(views->view(salon_id{"held"})->view == fold_view(s.history()));
    // The last replaced snapshot nobody held (gone only after two checkpoints, a second or more apart, without an
    // apply between them).
    CHECK(views->spare_views() == 1);
    REQUIRE(views->checkpoint()); // one that keeps the busy salon's spare (or the views' own thread just did)
    REQUIRE(views->checkpoint()); // one after which the salon has been idle: its spare goes
    CHECK(views->spare_views() == 0);
    CHECK(views->view(salon_id{"held"})->view == fold_view(s.history()));
}

std::string encoded(std::vector<log_entry> const& entries) {
    std::string out;
    for (auto const& e : entries) {
        out += codec::encode_entry(e) + "\n";
    }
    return out;
}

// What each walk-in was told at join time, by salon and ticket, folding the events as the views do.
std::map<std::pair<std::string, std::uint64_t>, std::optional<told_wait>> told_at_join_by_ticket(log::reader& events) {
    std::map<std::pair<std::string, std::uint64_t>, std::optional<told_wait>> out;
    list_schedule_estimator const estimator;
    for (auto const& [salon, list] : events_by_salon(events)) {
        queue_view v;
        for (auto const& e : list) {
            apply_and_record_join(v, e, estimator);
            if (auto const* issued = std::get_if<evt::ticket_issued>(&e.body)) {
                out[{salon, issued->ticket.value()}] = v.find_waiting(issued->ticket)->join_wait;
            }
        }
    }
    return out;
}

TEST_CASE("queue_views: what each walk-in was told is kept after its ticket leaves the view, and over a restart") {
    temp_dir dir;
    auto engine = open_engine(dir / "engine");
    auto const check_all = [&](queue_views const& views) {
        std::size_t gone = 0;
        std::size_t told = 0;
        for (auto const& [key, expected] : told_at_join_by_ticket(engine->events())) {
            auto const& [salon, ticket] = key;
            CAPTURE(salon);
            CAPTURE(ticket);
            auto const view = views.view(salon_id{salon});
            REQUIRE(view != nullptr);
            bool const in_view = view->view.find_waiting(ticket_id{ticket}) != nullptr ||
                                 view->view.find_serving(ticket_id{ticket}) != nullptr ||
                                 view->view.find_skipped(ticket_id{ticket}) != nullptr ||
                                 view->view.find_ended(ticket_id{ticket}) != nullptr;
            gone += in_view ? 0 : 1;
            told += expected ? 1 : 0;
            auto const found = views.told_at_join(salon_id{salon}, ticket_id{ticket});
            REQUIRE_MESSAGE(found.has_value(), found.error().message);
            CHECK(*found == expected);
        }
        CHECK(gone > 100); // tickets past the view's last ended ones: answered from the store
        CHECK(told > gone);
    };
    {
        auto views = open_views(dir / "views");
        simulate(
            *engine, 5,
            [&](runtime::outcome const& o) { REQUIRE(views->apply(o.partition, o.first_offset, o.entries)); },
            12); // ~60 walk-ins a salon a day; its view keeps the last 500 ends
        check_all(*views);
        REQUIRE(views->checkpoint());
    }
    check_all(*open_views(dir / "views"));
    CHECK_FALSE(open_views(dir / "views")->told_at_join(salon_id{"salon-0001"}, ticket_id{999'999}).value());
}

TEST_CASE("queue_views: the outcome index holds every applied outcome by salon and commandId") {
    temp_dir dir;
    auto engine = open_engine(dir / "engine");
    auto views = queue_views::open(dir / "views", partitions, std::make_unique<list_schedule_estimator>(), true);
    REQUIRE_MESSAGE(views.has_value(), views.error().message);
    std::vector<runtime::outcome> decided;
    simulate(*engine, 11, [&](runtime::outcome const& o) {
        REQUIRE(views.value()->apply(o.partition, o.first_offset, o.entries));
        decided.push_back(o);
    });
    for (auto const& o : decided) {
        auto const received = std::visit([](auto const& x) { return x.at; }, o.entries.front());
        auto found = views.value()->outcome_of(o.salon, o.command, received);
        REQUIRE_MESSAGE(found.has_value(), found.error().message);
        REQUIRE(found->has_value());
        CHECK((*found)->partition == o.partition);
        CHECK((*found)->first_offset == o.first_offset);
        CHECK(encoded((*found)->entries) == encoded(o.entries));
    }
    auto none = views.value()->outcome_of(salon_id{"salon-0001"}, command_id{"never-sent"}, instant{});
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_value());
    // Views opened without the index say so rather than answer "no outcome".
    auto plain = open_views(dir / "plain");
    CHECK_FALSE(plain->outcome_of(salon_id{"salon-0001"}, command_id{"x"}, instant{}).has_value());
}

constexpr std::chrono::hours week{24 * 7};

TEST_CASE("outcome index: a command's events applied in two parts are one outcome; a later decision replaces it") {
    temp_dir dir;
    auto db = store::rocks_store::open(dir / "db", {});
    REQUIRE(db.has_value());
    auto const ev = [](std::uint64_t seq, std::string cause, instant at = instant{}) {
        return log_entry{event{salon_id{"s1"}, seq_t{seq}, command_id{std::move(cause)}, system_actor(), at,
                               evt::day_closed{day_number(2024, 6, 3), {}}}};
    };
    auto const index = [&](std::vector<std::pair<std::int64_t, log_entry>> const& at) {
        std::vector<projections::detail::positioned> entries;
        entries.reserve(at.size());
        for (auto const& [offset, e] : at) {
            entries.push_back({offset_t{offset}, &e});
        }
        auto batch = (*db)->make_batch();
        REQUIRE(projections::detail::index_outcomes(**db, batch, partition_id{1}, entries));
        REQUIRE((*db)->write(batch, false));
    };
    auto const stored = [&](std::string const& cause, instant now = instant{}) {
        auto found = projections::detail::stored_outcome(**db, salon_id{"s1"}, command_id{cause}, now, week);
        REQUIRE(found.has_value());
        REQUIRE(found->has_value());
        return **found;
    };
    index({{10, ev(5, "c1")}});
    index({{11, ev(6, "c1")}, {12, ev(7, "c2")}});
    auto const c1 = stored("c1");
    CHECK(c1.first_offset == offset_t{10});
    CHECK(encoded(c1.entries) == encoded({ev(5, "c1"), ev(6, "c1")}));
    CHECK(stored("c2").first_offset == offset_t{12});
    // c1 decided again after its dedupe window: a new outcome, not a continuation of the old one.
    auto const later = instant{} + week + std::chrono::hours{1};
    index({{40, ev(20, "c1", later)}});
    CHECK(stored("c1", later).first_offset == offset_t{40});
    CHECK(stored("c1", later).entries.size() == 1);
    // Even when its first event follows the old outcome's last (nothing else happened in the salon in between).
    index({{41, ev(8, "c2", later)}});
    CHECK(stored("c2", later).first_offset == offset_t{41});
    CHECK(encoded(stored("c2", later).entries) == encoded({ev(8, "c2", later)}));
}

TEST_CASE("outcome index: an outcome older than the dedupe window is forgotten, as the engine forgets it") {
    temp_dir dir;
    auto db = store::rocks_store::open(dir / "db", {});
    REQUIRE(db.has_value());
    auto const received = instant{std::chrono::hours{24 * 400}};
    log_entry const e{event{salon_id{"s1"}, seq_t{3}, command_id{"c1"}, system_actor(), received,
                            evt::day_closed{day_number(2024, 6, 3), {}}}};
    std::vector<projections::detail::positioned> const entries{{offset_t{7}, &e}};
    auto batch = (*db)->make_batch();
    REQUIRE(projections::detail::index_outcomes(**db, batch, partition_id{0}, entries));
    REQUIRE((*db)->write(batch, false));
    auto const known_at = [&](instant now) {
        auto found = projections::detail::stored_outcome(**db, salon_id{"s1"}, command_id{"c1"}, now, week);
        REQUIRE(found.has_value());
        return found->has_value();
    };
    CHECK(known_at(received));
    CHECK(known_at(received + week)); // the engine still deduplicates a retry at the window's last millisecond
    CHECK_FALSE(known_at(received + week + std::chrono::milliseconds{1})); // after it, decided anew
}

} // namespace
} // namespace salonq::test

namespace salonq::test {
namespace {

// The engine's events log, failing every read after the first `reads` ones: a rebuild that breaks half-way.
class failing_reader final : public log::reader {
public:
    failing_reader(log::reader& inner, int reads) : inner_(inner), left_(reads) {}
    [[nodiscard]] std::int32_t partition_count() const override { return inner_.partition_count(); }
    [[nodiscard]] std::expected<std::vector<log::record>, log::error> read(partition_id p, offset_t from,
                                                                           std::size_t max) override {
        if (left_-- <= 0) {
            return std::unexpected(log::error{"the disk went away"});
        }
        return inner_.read(p, from, max);
    }
    [[nodiscard]] std::expected<offset_t, log::error> end_offset(partition_id p) override {
        return inner_.end_offset(p);
    }

private:
    log::reader& inner_;
    int left_;
};

// How the rebuild opens fresh views: like open_views.
runtime::store_opener const views_opener = [](std::filesystem::path const& dir) {
    return std::expected<std::unique_ptr<runtime::rebuildable>, std::string>{open_views(dir)};
};

} // namespace

TEST_CASE("rebuild: a fresh generation folded beside live views, swapped in while they apply and serve") {
    temp_dir dir;
    auto engine = open_engine(dir / "engine");
    runtime::generations const gens{dir / "views"};
    auto live = open_views(gens.current().value());
    simulate(*engine, 13,
             [&](runtime::outcome const& o) { REQUIRE(live->apply(o.partition, o.first_offset, o.entries)); });
    std::vector<salon_id> const salons{salon_id{"salon-0001"}, salon_id{"salon-0002"}, salon_id{"salon-0003"}};
    std::atomic<std::uint64_t> changes{0};
    std::atomic<std::uint64_t> republished{0}; // changes with no events: the rebuilt views handed out
    live->subscribe([&](change const& c) {
        ++changes;
        if (c.events.empty() && c.rejections.empty()) {
            ++republished;
        }
    });

    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> misses{0};
    std::thread feeding{[&] { // the feed goes on: three more salons' day, applied as the engine decides
        simulate(
            *engine, 14,
            [&](runtime::outcome const& o) { REQUIRE(live->apply(o.partition, o.first_offset, o.entries)); }, 1,
            "late");
    }};
    std::thread reading{[&] { // and screens read all along: no salon ever goes missing
        while (!done.load()) {
            for (auto const& s : salons) {
                if (live->view(s) == nullptr || !live->salon_events(s, seq_t{0}, 5)) {
                    ++misses;
                }
            }
        }
    }};
    std::vector<runtime::rebuild_progress> told;
    auto rebuilt =
        runtime::rebuild(*live, gens, engine->events(), views_opener, [&](runtime::rebuild_progress const& p) {
            told.push_back(p);
            return true;
        });
    feeding.join();
    done = true;
    reading.join();
    REQUIRE_MESSAGE(rebuilt.has_value(), rebuilt.error());

    CHECK(misses == 0);
    CHECK(republished == 6); // every salon's rebuilt view, the late ones' too
    REQUIRE_FALSE(told.empty());
    CHECK(told.back().read == told.back().total); // the log as it was when the rebuild began, all read
    CHECK(told.back().total > 500);
    CHECK(gens.current() == dir / "views.1");
    CHECK_FALSE(std::filesystem::exists(dir / "views")); // the old generation is gone
    auto const before = changes.load();
    auto more = engine->submit_sync(make_command("x-1", "salon-0002", walk_in("Xi", {"HC"}), {}));
    REQUIRE(more);
    REQUIRE(live->apply(more->partition, more->first_offset, more->entries));
    CHECK(changes == before + 1); // subscribers stay subscribed
    check_matches_log(*live, *engine);

    live.reset(); // a restart opens the rebuilt generation, where the swap left it
    auto reopened = open_views(gens.current().value());
    check_matches_log(*reopened, *engine);
}

TEST_CASE("rebuild: what the live views apply during the last stretch is in the swapped-in views at once") {
    temp_dir dir;
    auto engine = open_engine(dir / "engine");
    runtime::generations const gens{dir / "views"};
    auto live = open_views(gens.current().value());
    simulate(*engine, 16,
             [&](runtime::outcome const& o) { REQUIRE(live->apply(o.partition, o.first_offset, o.entries)); });
    // Each time the fresh views have read all they were asked to, a walk-in arrives and the live views apply it: the
    // first before the fresh views' unheld catch-up, the second after it, for the last stretch alone to bring over.
    int arrivals = 0;
    auto rebuilt =
        runtime::rebuild(*live, gens, engine->events(), views_opener, [&](runtime::rebuild_progress const& p) {
            if (p.read >= p.total && arrivals < 2) {
                ++arrivals;
                auto more = engine->submit_sync(
                    make_command("late-" + std::to_string(arrivals), "salon-0002", walk_in("Late", {"HC"}), {}));
                REQUIRE(more);
                REQUIRE(live->apply(more->partition, more->first_offset, more->entries));
            }
            return true;
        });
    REQUIRE_MESSAGE(rebuilt.has_value(), rebuilt.error());
    CHECK(arrivals == 2);
    check_matches_log(*live, *engine); // no catch-up since the swap
}

TEST_CASE("rebuild: one that fails half-way leaves the live views as they were, and no half-built generation") {
    temp_dir dir;
    auto engine = open_engine(dir / "engine");
    runtime::generations const gens{dir / "views"};
    auto live = open_views(gens.current().value());
    simulate(*engine, 15,
             [&](runtime::outcome const& o) { REQUIRE(live->apply(o.partition, o.first_offset, o.entries)); });
    failing_reader broken{engine->events(), 0}; // three salons: maybe in one partition, one read
    auto rebuilt = runtime::rebuild(*live, gens, broken, views_opener);
    REQUIRE_FALSE(rebuilt.has_value());
    CHECK(rebuilt.error().find("the disk went away") != std::string::npos);
    CHECK(gens.current() == dir / "views");
    CHECK_FALSE(std::filesystem::exists(dir / "views.1"));
    check_matches_log(*live, *engine);

    // A leftover generation (a rebuild that crashed) is not current, and goes when asked.
    std::filesystem::create_directories(dir / "views.7");
    CHECK(gens.next() == dir / "views.8");
    CHECK(gens.remove_others() == std::vector<std::filesystem::path>{dir / "views.7"});
    std::ofstream{dir / "views.current"} << "elsewhere\n"; // a pointer that names no generation: an error
    CHECK_FALSE(gens.current().has_value());
    CHECK_FALSE(gens.remove_others().has_value());
    CHECK(std::filesystem::exists(dir / "views")); // nothing removed on a guess
    CHECK(std::filesystem::exists(dir / "views"));
}

} // namespace salonq::test
