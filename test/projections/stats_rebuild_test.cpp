// The stats projection rebuilt beside itself (engine::runtime::rebuild) over a real RocksDB directory: the new
// generation answers byte for byte what the incremental store did, what the live store folds during the last stretch
// is in it at once, and a rebuild while events keep coming and the consumer folds them loses nothing and counts
// nothing twice.

#include "engine/runtime/rebuild.hpp"
#include "projections/stats_store/stats_consumer.hpp"
#include "test/projections/stats_fixture.hpp"
#include "test/support/overlap.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

namespace salonq::test {
namespace {

using namespace stats_fixture;

// How a rebuild opens a fresh stats store.
engine::runtime::store_opener const stats_opener =
    [](std::filesystem::path const& dir) -> std::expected<std::unique_ptr<engine::runtime::rebuildable>, std::string> {
    auto s = stats_store::open(dir, 1);
    if (!s) {
        return std::unexpected(s.error());
    }
    return std::move(*s);
};

} // namespace

TEST_SUITE("projections.stats_store") {
    TEST_CASE("a rebuild: a fresh generation folded from the log answers byte for byte what the incremental did") {
        temp_dir dir;
        auto const events = two_days();
        memory_log log;
        engine::runtime::generations const gens{dir.path / "stats"};
        auto store = stats_store::open(gens.current().value(), 1);
        REQUIRE(store);
        for (std::size_t i = 0; i < events.size(); ++i) {
            log.append(events[i]);
            if (i % 5 == 0) { // ended visits leave memory now and then, at other points than the rebuild's
                REQUIRE((*store)->catch_up(log));
                REQUIRE((*store)->checkpoint());
            }
        }
        REQUIRE((*store)->catch_up(log));
        auto const before = stored(**store, june3 - 1, june4 + 1);
        auto const first_day = (*store)->calendar(salon_id{"s1"}).value().first_day;
        std::vector<engine::runtime::rebuild_progress> told;
        auto rebuilt = engine::runtime::rebuild(**store, gens, log, stats_opener, [&](auto const& p) {
            told.push_back(p);
            return true;
        });
        REQUIRE_MESSAGE(rebuilt, rebuilt.error());
        CHECK(gens.current() == dir.path / "stats.1");
        CHECK_FALSE(std::filesystem::exists(dir.path / "stats")); // the old generation is gone
        REQUIRE_FALSE(told.empty());
        CHECK(told.back().read == events.size());
        CHECK(stored(**store, june3 - 1, june4 + 1) == before);
        CHECK(before == expected(events, june3 - 1, june4 + 1));
        CHECK((*store)->calendar(salon_id{"s1"}).value().first_day == first_day);
        store->reset(); // a restart opens the rebuilt generation
        auto reopened = stats_store::open(gens.current().value(), 1);
        REQUIRE(reopened);
        CHECK(stored(**reopened, june3 - 1, june4 + 1) == before);
    }

    TEST_CASE("a rebuild: events the live store folds during the last stretch are in the new store at once") {
        temp_dir dir;
        auto const events = two_days();
        memory_log log;
        auto const head = events.size() - 2;
        for (std::size_t i = 0; i < head; ++i) {
            log.append(events[i]);
        }
        engine::runtime::generations const gens{dir.path / "stats"};
        auto store = stats_store::open(gens.current().value(), 1);
        REQUIRE(store);
        REQUIRE((*store)->catch_up(log));
        // Each time the fresh store has read all it was asked to, an event arrives and the live store folds it: the
        // first before the fresh store's unheld catch-up, the second after it, for the last stretch alone to bring.
        std::size_t arrived = head;
        auto rebuilt = engine::runtime::rebuild(**store, gens, log, stats_opener, [&](auto const& p) {
            if (p.read >= p.total && arrived < events.size()) {
                log.append(events[arrived++]);
                REQUIRE((*store)->catch_up(log));
            }
            return true;
        });
        REQUIRE_MESSAGE(rebuilt, rebuilt.error());
        CHECK(arrived == events.size());
        CHECK(stored(**store, june3 - 1, june4 + 1) == expected(events, june3 - 1, june4 + 1)); // no catch-up since
    }

    TEST_CASE("a rebuild over a log with gaps (Kafka's markers): the fresh store reaches the live offsets, not past") {
        temp_dir dir;
        auto const events = two_days();
        memory_log log{2};
        auto const head = events.size() - 2;
        for (std::size_t i = 0; i < head; ++i) {
            log.append(events[i]);
        }
        engine::runtime::generations const gens{dir.path / "stats"};
        auto store = stats_store::open(gens.current().value(), 1);
        REQUIRE(store);
        REQUIRE((*store)->catch_up(log));
        // Once the fresh store has read the log, two events arrive and the live store folds the first only: a read of
        // the two offsets up to the live one's next shows both records, the second past it.
        auto const live_next = offset_t{static_cast<std::int64_t>(2 * head + 1)};
        bool arrived = false;
        auto rebuilt = engine::runtime::rebuild(**store, gens, log, stats_opener, [&](auto const& p) {
            if (!arrived && p.read >= head) {
                arrived = true;
                log.append(events[head]);
                REQUIRE((*store)->catch_up(log));
                log.append(events[head + 1]);
            }
            return true;
        });
        REQUIRE_MESSAGE(rebuilt, rebuilt.error());
        CHECK((*store)->next_offsets() == std::vector<offset_t>{live_next});
        REQUIRE((*store)->catch_up(log)); // the last event, after the swap
        CHECK(stored(**store, june3 - 1, june4 + 1) == expected(events, june3 - 1, june4 + 1));
    }

    TEST_CASE("a rebuild while events keep coming and the consumer folds them: nothing lost, nothing twice") {
        temp_dir dir;
        auto const events = steady_fortnight();
        memory_log log;
        auto const head = events.size() / 3;
        for (std::size_t i = 0; i < head; ++i) {
            log.append(events[i]);
        }
        engine::runtime::generations const gens{dir.path / "stats"};
        auto store = stats_store::open(gens.current().value(), 1);
        REQUIRE(store);
        projections::stats_store::stats_consumer consumer{**store, log, std::chrono::milliseconds{1}};
        std::atomic<std::size_t> appended{head};
        rebuild_overlap overlap{[&] { return appended.load(); }};
        std::thread feed{[&] {
            for (std::size_t i = head; i < events.size(); ++i) {
                if (i == head + 20) { // the rest during the rebuild, however late this thread is switched in
                    overlap.wait_for_rebuild();
                }
                log.append(events[i]);
                consumer.wake();
                ++appended;
                std::this_thread::sleep_for(std::chrono::microseconds{200}); // a busy salon, not a burst
            }
        }};
        std::atomic<bool> done{false};
        std::atomic<int> failed_reads{0};
        std::thread reader{[&] { // screens read all along
            while (!done.load()) {
                failed_reads += (*store)->stats(salon_id{"s1"}, june3, june3 + 13) ? 0 : 1;
            }
        }};
        while (appended.load() < head + 20) {
            std::this_thread::yield();
        }
        auto const before = appended.load();
        auto rebuilt = engine::runtime::rebuild(**store, gens, log, stats_opener, overlap.observer());
        CHECK_MESSAGE(appended.load() > before, "nothing came during the rebuild");
        feed.join();
        done = true;
        reader.join();
        consumer.stop();
        REQUIRE_MESSAGE(rebuilt, rebuilt.error());
        CHECK(failed_reads == 0);
        REQUIRE((*store)->catch_up(log));
        CHECK((*store)->next_offset(partition_id{0}).value() == static_cast<std::int64_t>(events.size()));
        CHECK(stored(**store, june3, june3 + 13) == expected(events, june3, june3 + 13));
    }
}

} // namespace salonq::test
