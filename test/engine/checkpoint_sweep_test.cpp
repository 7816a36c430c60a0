// The worker's checkpoint sweep (engine/runtime/checkpoint_sweep.hpp), as a property: over random runs of
// changes, batches that commit or fail, and drains, every checkpoint that ends has written every salon changed
// before it began (no salon is left behind RocksDB's offsets), and nothing changed is ever forgotten.

#include "engine/runtime/checkpoint_sweep.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <string>

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

} // namespace

TEST_CASE("checkpoint sweep: a checkpoint that ends has written every salon changed before it began") {
    for (std::uint32_t seed = 1; seed <= 300; ++seed) {
        CAPTURE(seed);
        std::mt19937 rng{seed};
        auto const chance = [&](double p) { return std::bernoulli_distribution{p}(rng); };
        auto now = checkpoint_sweep::clock::time_point{};
        checkpoint_sweep sweep{1s, now};
        model m;
        int step = 0;
        int began_at = -1;
        for (int i = 0; i < 400; ++i) {
            ++step;
            now += std::chrono::milliseconds{std::uniform_int_distribution{0, 300}(rng)};
            for (int n = std::uniform_int_distribution{0, 120}(rng); n > 0; --n) { // the batch's decisions
                auto salon = "s" + std::to_string(std::uniform_int_distribution{0, 400}(rng));
                m.changed_at[salon] = step;
                sweep.changed(salon);
            }
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
            auto const share = sweep.next_batch(now);
            if (share.begins) {
                began_at = step;
            }
            if (chance(0.1)) {
                sweep.batch_failed();
                began_at = -1;
                continue;
            }
            sweep.batch_committed();
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

TEST_CASE("checkpoint sweep: shares are at least min_step salons and a sweep ends within about 16 batches") {
    auto now = checkpoint_sweep::clock::time_point{};
    checkpoint_sweep sweep{1s, now};
    for (int i = 0; i < 3200; ++i) {
        sweep.changed("s" + std::to_string(i));
    }
    now += 2s;
    int batches = 0;
    for (bool ended = false; !ended; ++batches) {
        auto const share = sweep.next_batch(now);
        CHECK(share.begins == (batches == 0));
        CHECK(share.salons.size() >= (share.ends ? 1 : checkpoint_sweep::min_step));
        sweep.batch_committed();
        ended = share.ends;
    }
    CHECK(batches == 16); // 3200 salons, 200 a batch
    CHECK_FALSE(sweep.due_when_idle(now));
    sweep.changed("late");
    CHECK_FALSE(sweep.due_when_idle(now + 500ms));
    CHECK(sweep.due_when_idle(now + 1s));
}
