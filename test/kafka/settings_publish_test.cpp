// What a notification-settings PUT in Kafka mode waits for (notify::settings_topic::publish): the offset a delivery
// report gives it (engine::kafka::record_producer::reported_offset), and how far its instance's reader went and what
// it stored (notify/kafka/settings_reads.hpp). No broker needed. The PUT answers 200 only once its instance's store
// holds its record's settings or a later record's of the same salon; a record the store did not take (its write
// failed) answers 503 once the reader passed it, and a delivery report without an offset falls back to "the store
// holds the settings written".

#include "engine/kafka/producer.hpp"
#include "notify/kafka/settings_reads.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace settings_publish_test {

namespace {

using salonq::notify::settings_reads;
using outcome = settings_reads::outcome;

} // namespace

TEST_CASE("settings reads: a PUT waits until its record is read, and is done once the store holds it") {
    settings_reads r;
    CHECK(r.of("s1", 4, false) == outcome::waiting);
    r.read("s2", 3, true); // another salon's record before it
    r.passed(4);
    CHECK(r.of("s1", 4, false) == outcome::waiting);
    r.read("s1", 4, true);
    r.passed(5);
    CHECK(r.of("s1", 4, false) == outcome::stored);
    CHECK(r.of("s2", 3, false) == outcome::stored);
}

TEST_CASE("settings reads: a record the store did not take is not stored, though the reader passed it") {
    settings_reads r;
    r.read("s1", 2, true); // the salon's earlier settings are in the store
    r.read("s1", 4, false);
    r.passed(5);
    CHECK(r.of("s1", 4, false) == outcome::not_stored); // a GET here shows offset 2's settings: no 200
    CHECK(r.of("s1", 2, false) == outcome::stored);
    // Neither does another salon's record stored after it count, nor the reader going further.
    r.read("s2", 5, true);
    r.passed(9);
    CHECK(r.of("s1", 4, false) == outcome::not_stored);
    // A store that already holds equal settings is told as stored (settings_topic's take): that counts.
    r.read("s1", 9, true);
    r.passed(10);
    CHECK(r.of("s1", 4, false) == outcome::stored);
}

TEST_CASE("settings reads: a later record of the same salon stored counts, even when the PUT's own was not") {
    settings_reads r;
    r.read("s1", 6, false); // this PUT's record: its write failed
    r.read("s1", 7, true);  // another instance's PUT of the same salon, in the same batch, stored
    r.passed(8);
    CHECK(r.of("s1", 6, false) == outcome::stored);
    // A later record that failed does not take back one stored before it.
    r.read("s1", 8, false);
    r.passed(9);
    CHECK(r.of("s1", 7, false) == outcome::stored);
    CHECK(r.of("s1", 8, false) == outcome::not_stored);
}

TEST_CASE("settings reads: without the record's offset only the store's content tells, however far the reader went") {
    settings_reads r;
    r.read("s1", 0, true);
    r.passed(1'000);
    CHECK(r.of("s1", std::nullopt, false) == outcome::waiting);
    CHECK(r.of("s1", std::nullopt, true) == outcome::stored);
    CHECK(r.of("never-read", std::nullopt, true) == outcome::stored);
}

TEST_CASE("delivery report: a negative offset is unknown, not an offset every reader has passed") {
    using salonq::engine::kafka::record_producer;
    CHECK(record_producer::reported_offset(0) == salonq::engine::offset_t{0});
    CHECK(record_producer::reported_offset(41) == salonq::engine::offset_t{41});
    CHECK_FALSE(record_producer::reported_offset(-1).has_value());
    CHECK_FALSE(record_producer::reported_offset(-1001).has_value()); // RD_KAFKA_OFFSET_INVALID
}

} // namespace settings_publish_test
