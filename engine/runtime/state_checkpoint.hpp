#pragma once

// Salon states as a checkpoint of the events log, and the folds that make them exact again: the stored state of a
// salon is as new as or newer than what its partition's states offset says, never older, and folding the events
// after that offset (skipping by seq what a state already holds) gives the salon's current state. The embedded
// engine keeps its states this way (docs/design.md, "Checkpointed states"); the Kafka worker shares the fold and the
// encoding of a sweep's share.

#include "engine/domain/events.hpp"
#include "engine/domain/state.hpp"
#include "engine/runtime/outcome.hpp"
#include "engine/runtime/stored.hpp"
#include "engine/store/rocks_store.hpp"

#include <cstdint>
#include <expected>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace salonq::engine::runtime {

// The meta key of the embedded log under which partition p records the events offset its stored states reflect:
// every event below it is in them ("s/" + the partition, the value 8 bytes big-endian).
[[nodiscard]] std::string states_offset_key(partition_id p);
// Partition p's states offset; 0 where there is none (a log from before checkpoints: folding from the start skips
// by seq what its states hold).
[[nodiscard]] std::expected<std::int64_t, error> read_states_offset(store::rocks_store const& db, partition_id p);
void put_states_offset(store::write_batch& wb, partition_id p, std::int64_t offset);

// Folds `e` into `s` unless `s` already holds it (its seq is past it); a gap in the salon's seqs is corrupt_record.
// True if folded.
[[nodiscard]] std::expected<bool, error> fold_event(salon_state& s, event const& e);
// The same into the salon's state in the cache, loaded from the store on first use (a fresh one for a salon without).
[[nodiscard]] std::expected<bool, error> fold_into(store::rocks_store const& db, state_cache& cache, event const& e);

// The encoded states of these salons still in the cache and registered, for RocksDB (one handed over, abandoned or
// never registered is left out).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> encoded_states(state_cache const& states,
                                                                              std::vector<std::string> const& salons);

// The salon's current state: the stored one with the events of its partition after the states offset folded in (of
// the other salons' events only the salonId is looked at). None if it was never registered.
[[nodiscard]] std::expected<std::optional<salon_state>, error>
current_state(store::rocks_store const& db, salon_id const& id, std::int32_t partitions);

// At open, before the workers start: folds each partition's events from its states offset to `ends[p]` into the
// cache and writes the salons that changed with every partition's states offset at its end, in one write (nothing
// if nothing moved). The cache is then exact for every salon it holds, and the store for every other one. Returns
// how many events were folded.
[[nodiscard]] std::expected<std::uint64_t, error>
recover_states(store::rocks_store& db, std::vector<std::int64_t> const& ends, state_cache& cache);

} // namespace salonq::engine::runtime
