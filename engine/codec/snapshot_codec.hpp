#pragma once

#include "engine/codec/errc.hpp"
#include "engine/domain/state.hpp"

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::engine::codec {

// The records of salonq.snapshots (Kafka mode). Written and read only by salonq's workers, so their format may
// change with a new `v`; documented for operators in schemas/internal/.

// {"type":"salon_snapshot","v":1,"eventsOffset":N,"state":{...}}: a salon's committed state and the offset of
// salonq.events its fold reaches (the next event to fold).
struct salon_snapshot_record {
    std::int64_t events_offset = 0;
    salon_state state;
};
// `state_json` is the state as encode_state wrote it (a worker keeps it so in RocksDB).
[[nodiscard]] std::string encode_salon_snapshot(std::int64_t events_offset, std::string_view state_json);
[[nodiscard]] std::expected<salon_snapshot_record, error> decode_salon_snapshot(std::string_view json);

// {"type":"dedupe_chunk","v":1,"from":F,"to":T,"entries":[["salonId","commandId",receivedAtMs,offset,count],...]}:
// the commandIds whose outcomes are at offsets [from, to) of one salonq.events partition, and where each
// outcome starts (offset) and how many records it has (count). Entries are arrays to keep a 2,000-entry chunk
// small.
struct dedupe_chunk_entry {
    salon_id salon;
    command_id command;
    instant received_at{};
    std::int64_t offset = 0;
    std::uint32_t count = 0;
};
struct dedupe_chunk_record {
    std::int64_t from = 0;
    std::int64_t to = 0;
    std::vector<dedupe_chunk_entry> entries;
};
[[nodiscard]] std::string encode_dedupe_chunk(dedupe_chunk_record const& c);
// Refuses entries outside [from, to) as well as malformed ones.
[[nodiscard]] std::expected<dedupe_chunk_record, error> decode_dedupe_chunk(std::string_view json);

} // namespace salonq::engine::codec
