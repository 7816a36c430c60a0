// Taking over a partition (engine/kafka/detail/recovery.cpp) when the worker's RocksDB cannot be read: the
// take-over stops with the store's error. Taken for "no local state", the failed read would restore older
// snapshots (or fold from the start) over states RocksDB still holds. No broker: the local state is read before
// the topic is asked anything, and the brokers' address leads nowhere.

#include "engine/kafka/detail/recovery.hpp"
#include "engine/store/rocks_store.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

namespace {

using namespace salonq::engine;
using namespace salonq::engine::kafka;
using namespace salonq::engine::kafka::detail;
using salonq::test::temp_dir;

// A worker's RocksDB (as worker opens it) whose one SST file holds partition 0's events offset.
void store_events_offset(std::filesystem::path const& dir) {
    auto db = store::rocks_store::open(dir, store::open_options{true, false, std::chrono::hours{24 * 7}, true});
    REQUIRE(db);
    auto wb = (*db)->make_batch();
    wb.put(store::family::meta, events_offset_key(0), std::string(8, '\x01'));
    REQUIRE((*db)->write(wb, false));
} // closing a store without a WAL flushes it

// Flips bytes at the start of the only SST file: its first data block, which holds the record, no longer matches
// its checksum. RocksDB opens the file (it reads only the footer, index and properties then) and fails the read.
void corrupt_the_sst(std::filesystem::path const& dir) {
    std::vector<std::filesystem::path> ssts;
    for (auto const& f : std::filesystem::directory_iterator{dir}) {
        if (f.path().extension() == ".sst") {
            ssts.push_back(f.path());
        }
    }
    REQUIRE(ssts.size() == 1);
    std::fstream file{ssts[0], std::ios::in | std::ios::out | std::ios::binary};
    for (std::streamoff at = 2; at < 6; ++at) {
        file.seekg(at);
        auto const byte = static_cast<char>(file.get() ^ 0x5a);
        file.seekp(at);
        file.put(byte);
    }
    REQUIRE(file.good());
}

} // namespace

TEST_CASE("kafka recovery: a RocksDB read that fails stops the take-over with the store's error") {
    temp_dir dir;
    store_events_offset(dir.path());
    corrupt_the_sst(dir.path());
    auto db = store::rocks_store::open(dir.path(), store::open_options{true, false, std::chrono::hours{24 * 7}, true});
    REQUIRE(db);
    auto const direct = (*db)->get(store::family::meta, events_offset_key(0));
    REQUIRE_FALSE(direct); // the injected failure: the record is there, and unreadable
    MESSAGE("RocksDB: " << direct.error().message);

    worker_options options;
    options.kafka.brokers = "127.0.0.1:1"; // nothing listens: the take-over must stop before it asks
    options.clock = [] { return from_unix_ms(1'795'000'000'000); };
    state_cache states;
    worker_stats stats;
    recovery_context const context{options, **db, states, stats, 1, false};
    auto const recovered = recover_partition(context, 0);
    REQUIRE_FALSE(recovered);
    CHECK(recovered.error().code == errc::local_store); // not retried: a retry reads the same broken store
    CHECK(recovered.error().message == "partition 0: reading the local events offset: " + direct.error().message);
    CHECK(states.empty());
    CHECK(stats.snapshots_restored.load() == 0);
}
