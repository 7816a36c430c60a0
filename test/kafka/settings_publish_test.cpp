// What a notification-settings PUT in Kafka mode waits for (notify::settings_topic::publish): the offset a delivery
// report gives it (engine::kafka::record_producer::reported_offset). No broker needed.

#include "engine/kafka/producer.hpp"

#include <doctest/doctest.h>

TEST_CASE("delivery report: a negative offset is unknown, not an offset every reader has passed") {
    using salonq::engine::kafka::record_producer;
    CHECK(record_producer::reported_offset(0) == salonq::engine::offset_t{0});
    CHECK(record_producer::reported_offset(41) == salonq::engine::offset_t{41});
    CHECK_FALSE(record_producer::reported_offset(-1).has_value());
    CHECK_FALSE(record_producer::reported_offset(-1001).has_value()); // RD_KAFKA_OFFSET_INVALID
}
