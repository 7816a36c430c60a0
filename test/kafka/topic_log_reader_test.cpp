// engine::kafka::topic_log_reader against a real broker: the log reader the stats and the loyalty ledger of Kafka
// mode's api role read salonq.events through. Records are produced in transactions (committed, aborted, one left
// open), so the partition holds transaction markers and aborted records at offsets the reader must step over: a read
// returns the committed records with their gaps, end_offset is the last stable offset, a read from a marker's offset
// finds nothing at once (no wait for a record that never comes), a consumer's read-until-empty loop ends, and a
// partition with no records reads as empty, and a read from an offset the retention deleted is an error.

#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/topic_log_reader.hpp"
#include "test/support/broker.hpp"
#include "test/support/txn_producer.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;
namespace ek = salonq::engine::kafka;
using salonq::engine::offset_t;
using salonq::engine::partition_id;

ek::settings settings_of(std::string const& bootstrap) {
    ek::settings s;
    s.brokers = bootstrap;
    return s;
}

std::vector<std::int64_t> offsets_of(std::vector<salonq::engine::log::record> const& records) {
    std::vector<std::int64_t> out;
    out.reserve(records.size());
    for (auto const& r : records) {
        out.push_back(r.offset.value());
    }
    return out;
}

using offsets = std::vector<std::int64_t>;

} // namespace

TEST_CASE("topic log reader: committed records with their gaps, the stable end, empty partitions, open "
          "transactions") {
    kafka_broker broker;
    create_topics(broker.bootstrap(), 3);
    txn_producer producer{broker.bootstrap(), "reader-test"};
    // Partition 0: [0,1,2] committed (marker 3), [4,5] aborted (marker 6), [7,8] committed (marker 9).
    producer.begin();
    for (auto const* v : {"a0", "a1", "a2"}) {
        producer.send(0, v);
    }
    producer.commit();
    producer.begin();
    producer.send(0, "aborted4");
    producer.send(0, "aborted5");
    producer.abort();
    producer.begin();
    producer.send(0, "c7");
    producer.send(0, "c8");
    producer.commit();

    auto opened = ek::topic_log_reader::open(settings_of(broker.bootstrap()), ek::events_topic);
    REQUIRE_MESSAGE(opened, (opened ? "" : opened.error().message));
    auto& reader = **opened;
    CHECK(reader.partition_count() == 3);
    auto read = [&](std::int32_t p, std::int64_t from, std::size_t max) {
        auto r = reader.read(partition_id{p}, offset_t{from}, max);
        REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
        return *r;
    };
    auto end = [&](std::int32_t p) {
        auto e = reader.end_offset(partition_id{p});
        REQUIRE_MESSAGE(e, (e ? "" : e.error().message));
        return e->value();
    };

    // A commit returns before the coordinator has written the markers: the stable end follows a moment later.
    auto stable_at = [&](std::int32_t p, std::int64_t at) {
        auto const deadline = std::chrono::steady_clock::now() + 10s;
        while (end(p) != at && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(20ms);
        }
        return end(p) == at;
    };
    CHECK(stable_at(0, 10)); // the last commit marker's offset + 1
    auto const all = read(0, 0, 100);
    CHECK(offsets_of(all) == offsets{0, 1, 2, 7, 8});
    CHECK(all[3].value == "c7");
    CHECK(all[3].key == "s1");
    // In pieces, as a consumer reads with a batch size: the next read goes on after the last record.
    CHECK(offsets_of(read(0, 0, 2)) == offsets{0, 1});
    CHECK(offsets_of(read(0, 2, 2)) == offsets{2, 7});
    CHECK(offsets_of(read(0, 8, 2)) == offsets{8});
    // From a marker's offset, or an aborted record's: what follows, or nothing, and at once.
    auto const t0 = std::chrono::steady_clock::now();
    CHECK(read(0, 9, 10).empty());
    CHECK(read(0, 9, 10).empty());
    CHECK(offsets_of(read(0, 3, 10)) == offsets{7, 8});
    CHECK(offsets_of(read(0, 5, 10)) == offsets{7, 8});
    CHECK(read(0, 10, 10).empty());
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);

    // The consumers' loop (engine/runtime/consumer_offsets catch_up, stats_store::catch_up): read from the offset
    // after the last record until a read is empty. It ends, one marker short of the end, and the reader's known end
    // then says 0 behind.
    std::int64_t next = 0;
    int reads = 0;
    for (;; ++reads) {
        REQUIRE(reads < 10);
        auto records = read(0, next, 2);
        if (records.empty()) {
            break;
        }
        next = records.back().offset.value() + 1;
    }
    CHECK(next == 9);
    CHECK(reader.end_offsets()[0] == 9);
    // The default visit() over read(): stops at the end though the last offsets are markers.
    std::vector<std::int64_t> seen;
    REQUIRE(reader
                .visit(partition_id{0}, offset_t{0}, offset_t{10},
                       [&](salonq::engine::log::record_view const& r) {
                           seen.push_back(r.offset.value());
                           return true;
                       })
                .has_value());
    CHECK(seen == offsets{0, 1, 2, 7, 8});

    // A partition with no records at all.
    CHECK(end(2) == 0);
    CHECK(read(2, 0, 10).empty());
    CHECK(reader.end_offsets()[2] == 0);

    // An open transaction on partition 1: not stable, so not there yet; then committed.
    producer.begin();
    producer.send(1, "open0");
    CHECK(end(1) == 0);
    auto const t1 = std::chrono::steady_clock::now();
    CHECK(read(1, 0, 10).empty());
    CHECK(std::chrono::steady_clock::now() - t1 < 5s);
    producer.commit();
    CHECK(stable_at(1, 2));
    auto const committed = read(1, 0, 10);
    CHECK(offsets_of(committed) == offsets{0});
    CHECK(read(1, 1, 10).empty());
    // An idle poll of every partition from its last marker, as the consumers make a few times a second: while the
    // stable ends do not move, the reads are answered without a fetch (no new assignment), though each comes after
    // another partition's.
    auto const assigned = reader.assignments();
    for (int round = 0; round < 3; ++round) {
        CHECK(read(0, 9, 10).empty());
        CHECK(read(1, 1, 10).empty());
        CHECK(read(2, 0, 10).empty());
    }
    CHECK(reader.assignments() == assigned);
    // And partition 0 grows past the marker the reader stopped at: the next read from there finds the new record.
    producer.begin();
    producer.send(0, "c10");
    producer.commit();
    CHECK(stable_at(0, 12));
    CHECK(offsets_of(read(0, 9, 10)) == offsets{10});

    // A retention deleted what a consumer had not read: an error that says so, not a silent jump to what is left.
    producer.delete_before(1, 2);
    auto const gone = reader.read(partition_id{1}, offset_t{0}, 10);
    REQUIRE_FALSE(gone.has_value());
    CHECK_MESSAGE(gone.error().message.find("retention") != std::string::npos, gone.error().message);

    CHECK(read(1, 0, 0).empty());
    CHECK_FALSE(reader.read(partition_id{3}, offset_t{0}, 10).has_value());
    CHECK(reader.records_read() > 0);
}
