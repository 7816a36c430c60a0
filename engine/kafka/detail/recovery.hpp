#pragma once

// Taking over a partition in Kafka mode: bring its salon states up to the end of its committed events. Private to
// the Kafka worker (engine/kafka/detail).

#include "engine/kafka/detail/runtime_shared.hpp"
#include "engine/kafka/detail/snapshot.hpp"
#include "engine/kafka/worker.hpp"

#include <atomic>
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace salonq::engine::store {
class rocks_store;
}

namespace salonq::engine::kafka::detail {

// The meta key under which a worker's RocksDB records how far into salonq.events[p] its states reach.
[[nodiscard]] std::string events_offset_key(std::int32_t p);
// The meta key under which it keeps the dedupe chunk keys it knows in salonq.snapshots[p] (encode_chunk_refs).
[[nodiscard]] std::string chunk_keys_key(std::int32_t p);

struct recovery_context {
    worker_options const& options;
    store::rocks_store& db;
    state_cache& states;
    worker_stats& stats;
    std::int32_t partitions = 0; // of salonq.commands and salonq.events
    bool trace = false;
    std::atomic<bool> const* stopping = nullptr; // set: a take-over waiting for an open transaction gives up
};

struct recovered_partition {
    std::int64_t events_end = 0;   // the events end offset the states now reflect
    std::vector<chunk_ref> chunks; // dedupe chunks known in salonq.snapshots[p] (read there, or kept in RocksDB)
};

// Loads partition p's states from RocksDB (or, without local state, from the latest snapshot round), folds the
// events after them up to the partition's settled end (read_committed; see settled_end), and records the dedupe entries
// they carry. Folding is idempotent by seq: a state already ahead of an event (a snapshot newer than the smallest
// offset a restore starts from) skips it. A restore from snapshots also takes the commandIds of the retention window
// before the round from the dedupe chunks, and reads back, for their commandIds only, the events no chunk covers.
[[nodiscard]] std::expected<recovered_partition, error> recover_partition(recovery_context const& c, std::int32_t p);

} // namespace salonq::engine::kafka::detail
