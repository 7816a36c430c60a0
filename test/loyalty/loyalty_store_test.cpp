// The loyalty store over real parts (label embedded): the embedded engine's events log, the store's own RocksDB.
// A restart resumes from the stored offsets, records handed over again change nothing, the ledger equals the one
// rebuilt from the log, and a page shows only the salons in scope.

#include "engine/codec/event_codec.hpp"
#include "engine/runtime/consumer_offsets.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/runtime/rebuild.hpp"
#include "engine/sim/day_simulator.hpp"
#include "engine/store/rocks_store.hpp"
#include "loyalty/run/loyalty_consumer.hpp"
#include "loyalty/store/loyalty_store.hpp"
#include "test/engine/scenario.hpp"
#include "test/support/overlap.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <thread>

namespace salonq::test {
namespace {

using std::chrono::milliseconds;

customer regular(std::string id) { return customer{"Ann", "", customer_id{std::move(id)}}; }

struct world {
    temp_dir dir;
    std::unique_ptr<engine::runtime::embedded_engine> engine;
    std::unique_ptr<loyalty::loyalty_store> store;
    int commands = 0;
    std::map<std::string, std::uint64_t> tickets; // issued per salon

    world() {
        engine::runtime::engine_options o;
        o.partitions = 4;
        o.mode = engine::runtime::durability::relaxed;
        auto e = engine::runtime::embedded_engine::open(dir / "engine", o);
        REQUIRE(e);
        engine = std::move(*e);
        open_store();
        for (std::string const salon : {"s1", "s2", "s3"}) {
            submit(salon, register_salon(), set_services(catalogue()), add_staff("st1", role::staff), clock_in("st1"));
        }
    }
    void open_store() {
        auto s = loyalty::loyalty_store::open(engine::runtime::generations{dir / "loyalty"}.current().value(), 4);
        REQUIRE_MESSAGE(s, s.error());
        store = std::move(*s);
    }
    template <typename... Bodies>
    void submit(std::string const& salon, Bodies&&... bodies) {
        auto const one = [&](command_body b) {
            auto const n = ++commands;
            auto done =
                engine->submit_sync(make_command("c" + std::to_string(n), salon, std::move(b),
                                                 utc(2026, 11, 30, 9) + std::chrono::minutes{n}, system_actor()));
            REQUIRE(done);
            REQUIRE(done->accepted());
        };
        (one(command_body{std::forward<Bodies>(bodies)}), ...);
    }
    // A walk-in of `who` at `salon`, served and paid.
    void visit(std::string const& salon, customer who, std::int64_t amount) {
        auto const t = ++tickets[salon];
        submit(salon, walk_in(std::move(who)), start("st1", t), complete(t, amount));
    }
    loyalty::ledger caught_up() {
        auto caught = store->catch_up(engine->events());
        REQUIRE_MESSAGE(caught, caught.error());
        auto all = store->all();
        REQUIRE_MESSAGE(all, all.error());
        for (auto const& [customer, entries] : all->customers()) { // the stored balances agree with the entries
            auto page = store->page(customer_id{customer}, std::nullopt, std::nullopt, 1);
            REQUIRE(page);
            REQUIRE(!page->salons.empty());
            CAPTURE(customer);
            CHECK(page->balance == all->balance(customer_id{customer}));
        }
        return *all;
    }
    loyalty::ledger from_scratch() {
        auto l = loyalty::rebuild(engine->events());
        REQUIRE_MESSAGE(l, l.error());
        return *l;
    }
};

// How a rebuild opens a fresh ledger: as open_store does.
engine::runtime::store_opener const ledger_opener =
    [](std::filesystem::path const& dir) -> std::expected<std::unique_ptr<engine::runtime::rebuildable>, std::string> {
    auto s = loyalty::loyalty_store::open(dir, 4);
    if (!s) {
        return std::unexpected(s.error());
    }
    return std::move(*s);
};

// Every customer's first page as the store answers it: balances per salon and entries.
std::vector<loyalty::ledger_page> first_pages(loyalty::loyalty_store const& store, loyalty::ledger const& of) {
    std::vector<loyalty::ledger_page> out;
    for (auto const& [customer, entries] : of.customers()) {
        auto page = store.page(customer_id{customer}, std::nullopt, std::nullopt, 100);
        REQUIRE(page);
        out.push_back(std::move(*page));
    }
    return out;
}

bool same_pages(std::vector<loyalty::ledger_page> const& a, std::vector<loyalty::ledger_page> const& b) {
    return std::ranges::equal(a, b, [](auto const& x, auto const& y) {
        return x.salons == y.salons && x.balance == y.balance && x.entries == y.entries && x.next == y.next;
    });
}

} // namespace

TEST_CASE("loyalty store: folded as it comes equals rebuilt from the log; a restart resumes, applying nothing twice") {
    world w;
    w.visit("s1", regular("c-1"), 2500);
    w.visit("s2", regular("c-1"), 1000);
    w.visit("s1", regular("c-2"), 9000);
    auto const first = w.caught_up();
    CHECK(first.balance(customer_id{"c-1"}) == 3);
    CHECK(first.balance(customer_id{"c-2"}) == 9);
    CHECK(first == w.from_scratch());

    w.store.reset(); // a restart: the store knows where it was
    w.visit("s2", regular("c-1"), 5000);
    w.submit("s2", set_loyalty_rate(100));
    w.visit("s2", regular("c-1"), 5000);
    w.open_store();
    for (std::int32_t p = 0; p < 4; ++p) {
        CHECK(w.store->next_offset(partition_id{p}) <= *w.engine->events().end_offset(partition_id{p}));
    }
    auto const second = w.caught_up();
    CHECK(second.balance(customer_id{"c-1"}) == 3 + 5 + 50);
    CHECK(second == w.from_scratch());
    CHECK(w.store->counts().duplicates == 0);
    for (std::int32_t p = 0; p < 4; ++p) {
        CHECK(w.store->next_offset(partition_id{p}) == *w.engine->events().end_offset(partition_id{p}));
    }

    // Each partition's records handed over again from offset 0: nothing changes.
    for (std::int32_t p = 0; p < 4; ++p) {
        auto records = w.engine->events().read(partition_id{p}, offset_t{0}, 100'000);
        REQUIRE(records);
        std::vector<log_entry> entries;
        for (auto const& r : *records) {
            entries.push_back(engine::codec::decode_entry(r.value).value());
        }
        REQUIRE(w.store->apply(partition_id{p}, offset_t{0}, entries));
        CHECK(!w.store->apply(partition_id{p}, offset_t{static_cast<std::int64_t>(entries.size()) + 1}, entries));
    }
    CHECK(w.caught_up() == second);

    struct stat st {};
    REQUIRE(::stat((w.dir / "loyalty").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777U) == 0700U);
}

TEST_CASE("loyalty store: reads that earn nothing are saved within a second, by the next read or a quiet poll") {
    world w;
    std::ignore = w.caught_up();
    w.submit("s1", walk_in(regular("c-1")), walk_in(regular("c-2"))); // nobody earns
    std::ignore = w.caught_up();
    // The store as another process would find it now: the offsets and the salon's fold as they were written.
    auto const stored = [&] {
        engine::store::open_options o;
        o.read_only = true;
        auto db =
            engine::store::rocks_store::open(engine::runtime::generations{w.dir / "loyalty"}.current().value(), o);
        REQUIRE_MESSAGE(db, db.error().message);
        auto offsets = engine::runtime::consumer_offsets::load(**db, engine::store::family::meta, 4);
        REQUIRE(offsets);
        return *offsets;
    };
    auto const listed = [](auto const& next) {
        std::vector<std::int64_t> out(4);
        for (std::int32_t p = 0; p < 4; ++p) {
            out[static_cast<std::size_t>(p)] = next(partition_id{p}).value();
        }
        return out;
    };
    auto const folded = [&] { return listed([&](partition_id p) { return w.store->next_offset(p); }); };
    auto const as_stored = [&] {
        auto const s = stored();
        return listed([&](partition_id p) { return s.next(p); });
    };
    std::this_thread::sleep_for(milliseconds{1100});
    std::ignore = w.caught_up(); // nothing new in the log: the poll saves what the last reads folded
    CHECK(as_stored() == folded());

    w.visit("s2", regular("c-1"), 2500); // someone earns: saved at once, with the walk-in before it
    auto const earned = w.caught_up();
    CHECK(as_stored() == folded());
    w.store.reset();
    w.open_store();
    CHECK(w.caught_up() == earned);
    CHECK(w.store->counts().duplicates == 0);
    CHECK(w.store->fold().salons().at("s1").seq.value() == 6); // registered, 3 set-ups, 2 walk-ins
}

TEST_CASE("loyalty store: a fold state lost with its offsets is folded again from the log to the same ledger") {
    world w;
    w.visit("s1", regular("c-1"), 2500);
    w.submit("s1", set_loyalty_rate(500));
    w.visit("s1", regular("c-1"), 2500);
    auto const before = w.caught_up();
    CHECK(before.balance(customer_id{"c-1"}) == 2 + 5);
    CHECK(w.store->fold().salons().at("s1").cents_per_point == 500);
    w.store.reset();
    std::filesystem::remove_all(w.dir / "loyalty"); // the ledger is a cache of the log: rebuilt from it
    w.open_store();
    CHECK(w.caught_up() == before);
}

TEST_CASE("loyalty store: a simulated day handed over commit by commit, some missed, restarts: the log rebuilt") {
    world w;
    std::ignore = w.caught_up();
    engine::sim::sim_options o;
    o.salons = 3;
    o.seed = 5;
    std::size_t handed = 0;
    engine::sim::day_simulator{o}.run([&](std::vector<command> const& batch) {
        std::vector<std::vector<log_entry>> out;
        for (auto const& c : batch) {
            auto done = w.engine->submit_sync(c);
            REQUIRE(done);
            out.push_back(done->entries);
            if (done->duplicate || ++handed % 7 == 0) {
                continue; // a hand-off that never came: the next one is ahead, and the log is read instead
            }
            if (handed % 301 == 0) {
                w.store.reset(); // a restart
                w.open_store();
            }
            if (!w.store->apply(done->partition, done->first_offset, done->entries)) {
                auto caught = w.store->catch_up(w.engine->events());
                REQUIRE_MESSAGE(caught, caught.error());
            }
        }
        return out;
    });
    auto const incremental = w.caught_up();
    CHECK(incremental.customers().size() > 10);
    CHECK(incremental == w.from_scratch());
    CHECK(w.store->counts().duplicates == 0);
    CHECK(w.store->counts().gaps == 0);
}

TEST_CASE("loyalty store: a page shows the salons in scope, newest first, with a cursor that goes on") {
    world w;
    for (int i = 0; i < 5; ++i) {
        w.visit(i % 2 == 0 ? "s1" : "s2", regular("c-1"), std::int64_t{1000} * (i + 1));
    }
    w.visit("s3", regular("c-2"), 4000);
    std::ignore = w.caught_up();
    auto const c1 = customer_id{"c-1"};

    auto everything = w.store->page(c1, std::nullopt, std::nullopt, 100);
    REQUIRE(everything);
    REQUIRE(!everything->salons.empty());
    CHECK(everything->balance == 1 + 2 + 3 + 4 + 5);
    CHECK(everything->salons.size() == 2);
    CHECK(everything->entries.size() == 5);
    CHECK(!everything->next);
    CHECK(everything->entries.front().points == 5); // newest first
    CHECK(everything->entries.back().points == 1);

    std::vector<salon_id> const s1{salon_id{"s1"}};
    std::vector<std::int64_t> seen;
    std::optional<loyalty::cursor> after;
    do {
        auto page = w.store->page(c1, s1, after, 2);
        REQUIRE(page);
        REQUIRE(!page->salons.empty());
        CHECK(page->balance == 1 + 3 + 5);
        REQUIRE(page->salons.size() == 1);
        CHECK(page->salons.front().entries == 3);
        for (auto const& e : page->entries) {
            CHECK(e.salon == salon_id{"s1"});
            seen.push_back(e.points);
        }
        after = page->next;
    } while (after);
    CHECK(seen == std::vector<std::int64_t>{5, 3, 1});

    std::vector<salon_id> const s3{salon_id{"s3"}};
    auto none = w.store->page(c1, s3, std::nullopt, 10);
    REQUIRE(none);
    CHECK(none->salons.empty()); // earned nothing there: as if unknown
    auto unknown = w.store->page(customer_id{"c-9"}, std::nullopt, std::nullopt, 10);
    REQUIRE(unknown);
    CHECK(unknown->salons.empty());
}

TEST_CASE("loyalty consumer: woken by new events, it folds them without waiting for its poll") {
    world w;
    loyalty::loyalty_consumer consumer{*w.store, w.engine->events(), std::chrono::hours{1}};
    w.visit("s1", regular("c-1"), 2500);
    consumer.wake();
    loyalty::ledger now;
    for (int i = 0; i < 250 && now.balance(customer_id{"c-1"}) == 0; ++i) {
        std::this_thread::sleep_for(milliseconds{20});
        now = *w.store->all();
    }
    CHECK(now.balance(customer_id{"c-1"}) == 2);
    consumer.stop();
    consumer.wake(); // after stop: nothing, and no crash
}

} // namespace salonq::test

namespace salonq::test {

TEST_CASE("loyalty rebuild: a fresh generation folded from the log answers exactly what the incremental ledger did") {
    world w;
    w.visit("s1", regular("c-1"), 2500);
    w.visit("s2", regular("c-2"), 1800);
    w.submit("s2", set_loyalty_rate(100));
    w.visit("s2", regular("c-1"), 1234);
    w.visit("s3", regular("c-3"), 999); // under a point: no entry
    auto const incremental = w.caught_up();
    auto const pages = first_pages(*w.store, incremental);
    auto const fold = w.store->fold();

    engine::runtime::generations const gens{w.dir / "loyalty"};
    std::vector<engine::runtime::rebuild_progress> told;
    auto rebuilt = engine::runtime::rebuild(*w.store, gens, w.engine->events(), ledger_opener,
                                            [&](engine::runtime::rebuild_progress const& p) {
                                                told.push_back(p);
                                                return true;
                                            });
    REQUIRE_MESSAGE(rebuilt, rebuilt.error());
    CHECK(gens.current() == w.dir / "loyalty.1");
    CHECK_FALSE(std::filesystem::exists(w.dir / "loyalty")); // the old generation is gone
    REQUIRE_FALSE(told.empty());
    CHECK(told.back().read == told.back().total);
    CHECK(w.store->fold() == fold);
    CHECK(same_pages(first_pages(*w.store, incremental), pages));
    CHECK(w.caught_up() == incremental);
    CHECK(incremental == w.from_scratch());

    w.store.reset(); // a restart opens the rebuilt generation
    w.open_store();
    CHECK(same_pages(first_pages(*w.store, incremental), pages));
    CHECK(w.caught_up() == incremental);
}

TEST_CASE("loyalty rebuild: completions folded by the live ledger during the last stretch are in the new one at once") {
    world w;
    w.visit("s1", regular("c-1"), 2500);
    std::ignore = w.caught_up();
    // Each time the fresh ledger has read all it was asked to, a completion arrives and the live ledger folds it:
    // the first time before the fresh one's unheld catch-up, the second after it: only the last stretch, under the
    // live ledger's lock, brings that one over.
    int arrivals = 0;
    auto rebuilt =
        engine::runtime::rebuild(*w.store, engine::runtime::generations{w.dir / "loyalty"}, w.engine->events(),
                                 ledger_opener, [&](engine::runtime::rebuild_progress const& p) {
                                     if (p.read >= p.total && arrivals < 2) {
                                         ++arrivals;
                                         w.visit("s2", regular("c-1"), 3000);
                                         REQUIRE(w.store->catch_up(w.engine->events()));
                                     }
                                     return true;
                                 });
    REQUIRE_MESSAGE(rebuilt, rebuilt.error());
    CHECK(arrivals == 2);
    auto const all = w.store->all(); // no catch-up: what the swap left
    REQUIRE(all);
    CHECK(all->balance(customer_id{"c-1"}) == 2 + 3 + 3);
    CHECK(*all == w.from_scratch());
}

TEST_CASE("loyalty rebuild: while completions keep coming and a consumer folds them, every point counts once") {
    world w;
    std::int64_t expected_points = 0; // the default rate: 1000 cents a point
    auto const visit = [&](int i) {
        auto const amount = std::int64_t{1000} + (std::int64_t{137} * i);
        w.visit("s" + std::to_string(1 + i % 3), regular("c-" + std::to_string(i % 4)), amount);
        expected_points += amount / 1000;
    };
    for (int i = 0; i < 40; ++i) {
        visit(i);
    }
    std::ignore = w.caught_up();
    loyalty::loyalty_consumer consumer{*w.store, w.engine->events(), milliseconds{2}};
    std::atomic<int> visits{0};
    rebuild_overlap overlap{[&] { return static_cast<std::size_t>(visits.load()); }};
    std::thread traffic{[&] {
        for (int i = 40; i < 120; ++i) {
            if (i == 50) { // the rest during the rebuild, however late this thread is switched in
                overlap.wait_for_rebuild();
            }
            visit(i);
            consumer.wake();
            ++visits;
        }
    }};
    std::atomic<bool> done{false};
    std::atomic<int> went_down{0};
    std::thread reader{[&] { // a customer's balance as screens read it never goes back, nor jumps past the log
        std::int64_t last = 0;
        while (!done.load()) {
            auto page = w.store->page(customer_id{"c-1"}, std::nullopt, std::nullopt, 1);
            auto const now = page && !page->salons.empty() ? page->balance : 0;
            went_down += now < last ? 1 : 0;
            last = now;
        }
    }};
    while (visits.load() < 10) {
        std::this_thread::sleep_for(milliseconds{1});
    }
    auto const before = visits.load();
    auto rebuilt = engine::runtime::rebuild(*w.store, engine::runtime::generations{w.dir / "loyalty"},
                                            w.engine->events(), ledger_opener, overlap.observer());
    CHECK_MESSAGE(visits.load() > before, "nothing came during the rebuild");
    traffic.join();
    done = true;
    reader.join();
    consumer.stop();
    REQUIRE_MESSAGE(rebuilt, rebuilt.error());
    CHECK(went_down == 0);
    auto const after = w.caught_up();
    CHECK(after == w.from_scratch());
    std::int64_t total = 0;
    for (auto const& [customer, entries] : after.customers()) {
        total += after.balance(customer_id{customer});
    }
    CHECK(total == expected_points);
    CHECK(w.store->counts().duplicates == 0);
    CHECK(w.store->counts().gaps == 0);
}

} // namespace salonq::test
