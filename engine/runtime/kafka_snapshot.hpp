#pragma once

// The salonq.snapshots record: one salon's committed state and the events offset its fold reaches. Private to
// the Kafka worker (engine/runtime/kafka_*).

#include "engine/log/kafka/settings.hpp"
#include "engine/runtime/outcome.hpp"

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace salonq::engine::runtime::kafka_detail {

// {"type":"salon_snapshot","v":1,"eventsOffset":N,"state":{...}}: the state comes last so a reader can cut it
// out without re-encoding.
[[nodiscard]] std::string snapshot_record(std::int64_t events_offset, std::string_view state_json);

struct snapshot_view {
    std::int64_t events_offset = -1;
    std::string_view state;
};
[[nodiscard]] std::optional<snapshot_view> parse_snapshot(std::string_view record);

struct salon_snapshot {
    std::int64_t events_offset = -1;
    std::string state; // JSON, as codec::encode_state wrote it
};

// The latest snapshot of every salon in partition p of salonq.snapshots (read_committed), by salonId.
[[nodiscard]] std::expected<std::map<std::string, salon_snapshot>, error>
read_latest_snapshots(log::kafka::settings const& kafka, std::string const& group, std::int32_t p);

// Properties of the short-lived read_committed readers that recovery uses on salonq.events and salonq.snapshots.
[[nodiscard]] std::map<std::string, std::string> recovery_reader_properties(std::string const& group);

} // namespace salonq::engine::runtime::kafka_detail
