// The worker's checkpoint sweep (engine/runtime/checkpoint_sweep.hpp), as a property: over random runs of
// changes, batches and idle shares that commit or fail, and drains, every checkpoint that ends has written every salon
// changed before it began (no salon is left behind RocksDB's offsets), and nothing changed is ever forgotten.

#include "engine/runtime/checkpoint_sweep.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using salonq::engine::runtime::checkpoint_sweep;
using namespace std::chrono_literals;

struct model {
    std::map<std::string, int> changed_at; // the step of each salon's last change
    std::map<std::string, int> written_at; // the step whose state a committed batch or a checkpoint wrote

    [[nodiscard]] bool current(std::string const& salon) const {
        auto const w = written_at.find(salon);
        return w != written_at.end() && w->second > changed_at.at(salon);
    }
};

// A sweep with `salons` salons s0.. changed, made at time zero with a one-second interval.
checkpoint_sweep with_changed(int salons) {
    checkpoint_sweep sweep{1s, checkpoint_sweep::clock::time_point{}};
    for (int i = 0; i < salons; ++i) {
        sweep.changed("s" + std::to_string(i));
    }
    return sweep;
}

} // namespace

TEST_CASE("checkpoint sweep: a checkpoint that ends has written every salon changed before it began") {
    for (std::uint32_t seed = 1; seed <= 300; ++seed) {
        CAPTURE(seed);
        std::mt19937 rng{seed};
        auto const chance = [&](double p) { return std::bernoulli_distribution{p}(rng); };
        auto now = checkpoint_sweep::clock::time_point{};
        // Half the runs with a budget, so that sweeps also wait for the log.
        checkpoint_sweep sweep{1s, seed % 2 == 0 ? checkpoint_sweep::default_bytes_per_event : 0, now};
        model m;
        int step = 0;
        int began_at = -1;
        for (int i = 0; i < 400; ++i) {
            ++step;
            now += std::chrono::milliseconds{std::uniform_int_distribution{0, 300}(rng)};
            auto const decisions = std::uniform_int_distribution{0, 120}(rng);
            for (int n = decisions; n > 0; --n) { // the batch's decisions
                auto salon = "s" + std::to_string(std::uniform_int_distribution{0, 400}(rng));
                m.changed_at[salon] = step;
                sweep.changed(salon);
            }
            sweep.logged(static_cast<std::size_t>(decisions));
            ++step;
            if (chance(0.03)) { // a drain: every changed salon written at once
                for (auto const& salon : sweep.take_all()) {
                    m.written_at[salon] = step;
                }
                sweep.checkpointed(now);
                for (auto const& [salon, at] : m.changed_at) {
                    REQUIRE_MESSAGE(m.current(salon), salon);
                }
                began_at = -1;
                continue;
            }
            // A batch's share, or an idle worker's (at most idle_step), sometimes at its share_due.
            auto const idle = chance(0.3);
            if (idle && sweep.sweeping() && chance(0.5)) {
                now = std::max(now, sweep.share_due());
            }
            auto const share = idle ? sweep.next_batch(now, checkpoint_sweep::idle_step) : sweep.next_batch(now);
            CHECK(share.salons.size() <= (idle ? checkpoint_sweep::idle_step : std::size_t{400}));
            if (share.begins) {
                began_at = step;
            }
            if (chance(0.1)) {
                sweep.batch_failed();
                began_at = -1;
                continue;
            }
            sweep.batch_committed();
            sweep.wrote(share.salons.size() * 2000); // ~2 kB a salon state
            for (auto const& salon : share.salons) {
                m.written_at[salon] = step;
            }
            if (share.ends) {
                REQUIRE(began_at >= 0);
                for (auto const& [salon, at] : m.changed_at) {
                    if (at < began_at) {
                        REQUIRE_MESSAGE(m.current(salon),
                                        salon << " changed at " << at << ", checkpoint began at " << began_at);
                    }
                }
                began_at = -1;
            }
        }
        // Nothing is forgotten: what is not written yet is still to be written.
        auto const rest = sweep.take_all();
        std::set<std::string> const pending{rest.begin(), rest.end()};
        for (auto const& [salon, at] : m.changed_at) {
            CHECK_MESSAGE((m.current(salon) || pending.contains(salon)), salon);
        }
    }
}

TEST_CASE("checkpoint sweep: a sweep is handed out by the clock, evenly over half the interval") {
    auto now = checkpoint_sweep::clock::time_point{};
    auto sweep = with_changed(3200);
    now += 2s;
    auto const began = now;
    // A batch every 10 ms: each takes the 64 salons whose turn came in its 10 ms (3200 over 500 ms).
    std::size_t handed = 0;
    int batches = 0;
    for (bool ended = false; !ended; ++batches, now += 10ms) {
        auto const share = sweep.next_batch(now);
        CHECK(share.begins == (batches == 0));
        CHECK(share.salons.size() == (batches == 0 ? 0 : 64));
        handed += share.salons.size();
        sweep.batch_committed();
        ended = share.ends;
        CHECK(ended == (now - began >= 500ms));
    }
    CHECK(handed == 3200);
    CHECK(batches == 51); // at +0 ms (none due yet) to +500 ms
    CHECK_FALSE(sweep.due_when_idle(now));
    sweep.changed("late");
    CHECK_FALSE(sweep.due_when_idle(began + 900ms));
    CHECK(sweep.due_when_idle(began + 1s));
}

TEST_CASE("checkpoint sweep: an idle worker's shares are at most idle_step, each when its turn comes") {
    auto now = checkpoint_sweep::clock::time_point{};
    auto sweep = with_changed(320);
    now += 1s;
    auto const began = now;
    CHECK(sweep.next_batch(now, checkpoint_sweep::idle_step).begins);
    sweep.batch_committed();
    // 320 salons over 500 ms: the next 16 are due once 15/320 of it has passed (23.4 ms), not before.
    auto const due = sweep.share_due();
    CHECK(due > began + 23ms);
    CHECK(due <= began + 24ms);
    CHECK(sweep.next_batch(due - 1ms, checkpoint_sweep::idle_step).salons.size() == 15);
    sweep.batch_committed();
    CHECK(sweep.next_batch(due, checkpoint_sweep::idle_step).salons.size() == 1);
    sweep.batch_committed();
    // Late (the worker was busy): what is due comes a share at a time, each due at once.
    now = began + 400ms;
    CHECK(sweep.share_due() <= now);
    auto const share = sweep.next_batch(now, checkpoint_sweep::idle_step);
    CHECK(share.salons.size() == checkpoint_sweep::idle_step);
    CHECK_FALSE(share.ends);
    sweep.batch_committed();
    // At the spread's end the rest is due; the last share ends the sweep.
    now = began + 500ms;
    std::size_t rest = 0;
    for (bool ended = false; !ended;) {
        CHECK(sweep.share_due() <= now);
        auto const s = sweep.next_batch(now, checkpoint_sweep::idle_step);
        CHECK(s.salons.size() <= checkpoint_sweep::idle_step);
        rest += s.salons.size();
        sweep.batch_committed();
        ended = s.ends;
    }
    CHECK(rest == 320 - 16 - 16);
    CHECK_FALSE(sweep.sweeping());
}

TEST_CASE("checkpoint sweep: a batch after a lull takes at most a sixteenth of the sweep, and the rest catches up") {
    auto now = checkpoint_sweep::clock::time_point{};
    auto sweep = with_changed(3200);
    now += 1s;
    auto const began = now;
    CHECK(sweep.next_batch(now).begins);
    sweep.batch_committed();
    // 400 ms later 2,560 are due: each batch takes 200 (3,200 / 16), not all of them at once, until it has caught up
    // with the clock (13 full batches a millisecond apart, then the 44 left); then each takes the ~6 whose turn came in
    // its millisecond.
    std::vector<std::size_t> sizes;
    for (bool ended = false; !ended;) {
        now = now == began ? began + 400ms : now + 1ms;
        auto const share = sweep.next_batch(now);
        sizes.push_back(share.salons.size());
        sweep.batch_committed();
        ended = share.ends;
        CHECK(ended == (now - began >= 500ms));
    }
    REQUIRE(sizes.size() > 14);
    for (std::size_t i = 0; i < 13; ++i) {
        CHECK(sizes[i] == 200);
    }
    CHECK(sizes[13] == 44);
    CHECK(sizes[14] <= 7);
}

TEST_CASE("checkpoint sweep: with a budget, a sweep waits until the log since the last one pays for what it wrote") {
    auto now = checkpoint_sweep::clock::time_point{};
    checkpoint_sweep sweep{1s, 100, now}; // 100 bytes of states per event logged
    sweep.changed("a");
    sweep.logged(1);
    now += 1s;
    auto const began = now;
    auto first = sweep.next_batch(now); // the first sweep: nothing written yet, so the clock alone decides
    CHECK(first.begins);
    sweep.batch_committed();
    now += 500ms;
    auto const rest = sweep.next_batch(now);
    CHECK(rest.ends);
    CHECK(first.salons.size() + rest.salons.size() == 1);
    sweep.wrote(30'000); // the sweep's states: 300 events pay for the next one
    sweep.batch_committed();

    sweep.changed("b");
    sweep.logged(299);
    now += 5s; // long past the interval
    CHECK_FALSE(sweep.next_batch(now).begins);
    sweep.batch_committed();
    CHECK_FALSE(sweep.affordable());
    CHECK_FALSE(sweep.idle_due().has_value()); // an idle worker waits for more log, not for the clock
    CHECK_FALSE(sweep.due_when_idle(now));

    sweep.logged(1);
    CHECK(sweep.affordable());
    CHECK(sweep.idle_due() == began + 1s); // due by the clock since long ago
    CHECK(sweep.next_batch(now).begins);
    sweep.batch_committed();
    sweep.wrote(100); // the account begins again with the new sweep: its own bytes against the log after it
    CHECK_FALSE(sweep.affordable());
    sweep.logged(1);
    CHECK(sweep.affordable());
}

TEST_CASE("checkpoint sweep: without a budget, the clock alone begins a sweep") {
    auto now = checkpoint_sweep::clock::time_point{};
    checkpoint_sweep sweep{1s, 0, now};
    sweep.changed("a");
    sweep.wrote(1'000'000);
    now += 1s;
    CHECK(sweep.affordable());
    CHECK(sweep.next_batch(now).begins);
}
