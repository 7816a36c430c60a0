// The RocksDB store as Kafka mode's cache of the events topic (open_options::cache_of_log): no WAL, families
// flushed together. What a worker relies on: a clean close keeps every write, and a process killed without
// closing leaves each partition's states and events offset from the same write (an earlier point is fine: the
// worker folds the events topic forward from it), never a state newer than its offset.

#include "engine/store/rocks_store.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

using namespace salonq::engine;
using salonq::test::temp_dir;

store::open_options cache_options() {
    store::open_options o;
    o.cache_of_log = true;
    return o;
}

// Write i: the salon's state and the partition's offset both say i, with `padding` bytes of other state so that
// the memtables fill and RocksDB flushes while writes keep coming.
void write_batches(store::rocks_store& db, int from, int to, std::size_t padding) {
    std::string const pad(padding, 'x');
    for (int i = from; i <= to; ++i) {
        auto wb = db.make_batch();
        wb.put(store::family::state, "salon-1", std::to_string(i));
        wb.put(store::family::state, "pad-" + std::to_string(i % 64), pad);
        wb.put(store::family::commands, "cmd-" + std::to_string(i), "c");
        wb.put(store::family::meta, "events-offset/0", std::to_string(i));
        REQUIRE(db.write(wb, false));
    }
}

std::optional<std::string> read(store::rocks_store const& db, store::family f, std::string const& key) {
    auto v = db.get(f, key);
    REQUIRE(v);
    return *v;
}

} // namespace

TEST_CASE("store: a cache of the log keeps every write across a clean close") {
    temp_dir dir;
    {
        auto db = store::rocks_store::open(dir / "db", cache_options()).value();
        write_batches(*db, 1, 500, 100);
    }
    auto db = store::rocks_store::open(dir / "db", cache_options()).value();
    CHECK(read(*db, store::family::state, "salon-1") == "500");
    CHECK(read(*db, store::family::meta, "events-offset/0") == "500");
    CHECK(read(*db, store::family::commands, "cmd-500") == "c");
}

// The writer of the test below, in a process of its own (a fork of this one would inherit RocksDB's thread pool
// without its threads, and never flush): runs only when that test starts it.
TEST_CASE("store: (child of the kill test) writes past a memtable flush and dies without closing") {
    char const* dir = std::getenv("SALONQ_STORE_CHILD_DIR");
    if (dir == nullptr) {
        return;
    }
    auto db = store::rocks_store::open(std::string{dir} + "/db", cache_options());
    if (!db) {
        ::_exit(2);
    }
    // ~100 MB of writes: more than a memtable. The full one's flush finishes (an earlier point on disk); the later
    // writes stay in memory.
    write_batches(**db, 1, 400, std::size_t{256} * 1024);
    for (int i = 0; i < 3000 && (*db)->int_property(store::family::state, "rocksdb.num-immutable-mem-table") != 0U;
         ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    ::_exit(0); // no destructors, no close: as kill -9 leaves it
}

TEST_CASE("store: a cache of the log killed without closing keeps states and offsets of one write") {
    temp_dir dir;
    salonq::test::child_process child({"/usr/bin/env", "SALONQ_STORE_CHILD_DIR=" + dir.path(),
                                       std::filesystem::read_symlink("/proc/self/exe").string(),
                                       "--test-case=store: (child of the kill test)*"},
                                      dir / "child.log", true);
    REQUIRE(child.wait() == 0);

    auto db = store::rocks_store::open(dir / "db", cache_options()).value();
    auto const state = read(*db, store::family::state, "salon-1");
    auto const offset = read(*db, store::family::meta, "events-offset/0");
    MESSAGE("after the kill: state " << state.value_or("none") << ", offset " << offset.value_or("none"));
    REQUIRE(state.has_value()); // a flush happened: an earlier point survives
    CHECK(state == offset);     // the same write's, in every family
    CHECK(*state != "400");     // the last writes were only in memory: no WAL
    CHECK(read(*db, store::family::commands, "cmd-" + *state) == "c");
    CHECK_FALSE(read(*db, store::family::commands, "cmd-" + std::to_string(std::stoi(*state) + 1)).has_value());
    // A worker folds forward from there and rewrites the rest: the store takes it as a live one would.
    write_batches(*db, std::stoi(*state) + 1, 400, 100);
    CHECK(read(*db, store::family::state, "salon-1") == "400");
}

TEST_CASE("store: a bulk load ingests sorted entries that reads, later writes and a reopen all see") {
    temp_dir dir;
    std::vector<std::string> keys;
    keys.reserve(5000);
    for (int i = 0; i < 5000; ++i) {
        keys.push_back(fmt::format("salon-{:04}", i / 100) + '\0' + fmt::format("cmd-{:05}", i));
    }
    std::vector<std::pair<std::string_view, std::string_view>> sorted;
    sorted.reserve(keys.size());
    for (auto const& k : keys) {
        sorted.emplace_back(k, std::string_view{k}.substr(k.size() - 5));
    }
    {
        auto db = store::rocks_store::open(dir.path(), cache_options());
        REQUIRE(db);
        auto wb = (*db)->make_batch();
        wb.put(store::family::dedupe, keys[7], "older, in the memtable");
        REQUIRE((*db)->write(wb, false));
        REQUIRE((*db)->ingest(store::family::dedupe, sorted));
        CHECK((*db)->get(store::family::dedupe, keys[7])->value_or("") == "00007"); // the load is newer
        auto later = (*db)->make_batch();
        later.put(store::family::dedupe, keys[42], "later");
        REQUIRE((*db)->write(later, false));
        CHECK((*db)->get(store::family::dedupe, keys[42])->value_or("") == "later");
        CHECK((*db)->ingest(store::family::dedupe, {})); // nothing to load
        std::vector<std::pair<std::string_view, std::string_view>> unsorted{sorted[1], sorted[0]};
        CHECK_FALSE((*db)->ingest(store::family::dedupe, unsorted)); // refused, nothing written
        CHECK(std::filesystem::is_empty(dir / "ingest"));            // loaded files are moved in, refused ones removed
    }
    auto db = store::rocks_store::open(dir.path(), cache_options());
    REQUIRE(db);
    std::size_t seen = 0;
    REQUIRE((*db)->scan(store::family::dedupe, "", "", [&](std::string_view key, std::string_view value) {
        CHECK(key == keys[seen]);
        CHECK(value == (seen == 42 ? std::string_view{"later"} : std::string_view{keys[seen]}.substr(key.size() - 5)));
        ++seen;
        return true;
    }));
    CHECK(seen == keys.size());
    CHECK_FALSE(std::filesystem::exists(dir / "ingest")); // emptied at open
}
