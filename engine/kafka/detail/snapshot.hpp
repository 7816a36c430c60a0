#pragma once

// The salonq.snapshots record: one salon's committed state and the events offset its fold reaches. Private to
// the Kafka worker (engine/kafka/detail).

#include "engine/domain/state.hpp"
#include "engine/kafka/detail/runtime_shared.hpp"
#include "engine/kafka/settings.hpp"
#include "engine/runtime/outcome.hpp"

#include <atomic>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace salonq::engine::kafka::detail {

// A salon's latest snapshot in salonq.snapshots (codec::salon_snapshot_record): its committed state and the
// events offset its fold reaches.
struct salon_snapshot {
    std::int64_t events_offset = -1;
    salon_state state;
};

// A dedupe chunk: the commandIds whose outcomes are in salonq.events[p] at offsets [from, to), with where each
// outcome starts. Snapshot rounds write them next to the salon snapshots, so that a worker restoring from the
// snapshots knows the commandIds decided before the round without reading those events back. Key
// "~dedupe/<to>/<newest receive time, unix ms>" ('~' is not an id character): unique, so compaction keeps every
// chunk until a later round writes its tombstone, once its newest entry is past the dedupe retention; a reader
// skips an expired chunk by its key, without parsing it.
// Its record is codec::dedupe_chunk_record.
struct dedupe_chunk {
    std::int64_t from = 0;
    std::int64_t to = 0;
    std::vector<std::pair<std::string, dedupe_entry>> entries; // dedupe key (log::dedupe_key) -> entry, by offset
    // The latest receive time of its entries; `otherwise` when it has none (the time of its round).
    [[nodiscard]] instant newest(instant otherwise) const;
};
// A chunk known to be in salonq.snapshots, to be tombstoned once `newest` is past the retention.
struct chunk_ref {
    std::string key;
    instant newest{};
};
[[nodiscard]] std::string dedupe_chunk_key(std::int64_t to, instant newest);
[[nodiscard]] bool is_dedupe_chunk_key(std::string_view key);
[[nodiscard]] std::optional<instant> chunk_key_newest(std::string_view key); // nullopt: not a chunk key
// The chunk keys a worker knows, as kept in RocksDB (meta family): one per line.
[[nodiscard]] std::string encode_chunk_refs(std::vector<chunk_ref> const& refs);
[[nodiscard]] std::vector<chunk_ref> decode_chunk_refs(std::string_view text);
[[nodiscard]] std::string encode_dedupe_chunk(dedupe_chunk const& c);
[[nodiscard]] std::optional<dedupe_chunk> parse_dedupe_chunk(std::string_view record, std::int32_t partition);
// Cuts the entries [from, to) into chunks of at most max_entries, each covering a contiguous offset range.
[[nodiscard]] std::vector<dedupe_chunk> split_dedupe_chunk(dedupe_chunk const& c, std::size_t max_entries);

// What a partition of salonq.snapshots holds (read_committed): the latest snapshot of every salon, the dedupe
// chunks not yet removed by a tombstone whose newest entry is at or after `oldest` (by `to`), and the keys of all
// chunks not yet removed (expired ones included, to be tombstoned). Read to the partition's settled end (a round
// whose commit marker is not in yet is waited for; `stopping` as in settled_end).
struct partition_snapshots {
    std::map<std::string, salon_snapshot> salons;
    std::vector<dedupe_chunk> chunks;
    std::vector<chunk_ref> chunk_keys;
};
[[nodiscard]] std::expected<partition_snapshots, error> read_latest_snapshots(kafka::settings const& kafka,
                                                                              std::string const& group, std::int32_t p,
                                                                              instant oldest,
                                                                              std::atomic<bool> const* stopping);

// The offset ranges of [from, to) that no chunk covers, in order.
[[nodiscard]] std::vector<std::pair<std::int64_t, std::int64_t>> uncovered(std::int64_t from, std::int64_t to,
                                                                           std::vector<dedupe_chunk> const& chunks);

// Properties of the short-lived read_committed readers that recovery uses on salonq.events and salonq.snapshots.
[[nodiscard]] std::map<std::string, std::string> recovery_reader_properties(std::string const& group);

} // namespace salonq::engine::kafka::detail
