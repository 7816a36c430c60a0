#pragma once

// What an engine worker keeps in its RocksDB besides the log: the cache of salon states and the dedupe index.
// Shared by the embedded and the Kafka worker.

#include "engine/domain/state.hpp"
#include "engine/runtime/dedupe.hpp"
#include "engine/runtime/outcome.hpp"
#include "engine/store/rocks_store.hpp"

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <unordered_map>

namespace salonq::engine::runtime {

using state_cache = std::unordered_map<std::string, salon_state>;

// A RocksDB failure as the engine's error: errc::local_store, with the store's message.
[[nodiscard]] error storage_error(store::error const& e);

// The partition count of the embedded log, fixed when it was created (none: the store holds no embedded log).
[[nodiscard]] std::expected<std::optional<std::int32_t>, error> stored_partition_count(store::rocks_store const& db);

// The salon's stored state; none if it was never registered; errc::corrupt_record (naming the salon, and the field when
// there is one) if it does not decode.
[[nodiscard]] std::expected<std::optional<salon_state>, error> read_state(store::rocks_store const& db,
                                                                          salon_id const& id);

// The salon's state from the cache, or loaded into it from the store on first use; nullptr if the salon has
// no stored state (never registered).
[[nodiscard]] std::expected<salon_state*, error> load_state(store::rocks_store const& db, state_cache& cache,
                                                            salon_id const& id);

// Where the outcome of (salon, commandId) — `key` is log::dedupe_key — lives, if it was decided within
// `retention` before `now`.
[[nodiscard]] std::expected<std::optional<dedupe_entry>, error>
recent_outcome(store::rocks_store const& db, std::string const& key, instant now, std::chrono::hours retention);

// The outcome recorded for (salon, commandId) under dedupe key `key`, read back from the events log, with
// `duplicate` set; none if it is not within `retention` before `now`.
[[nodiscard]] std::expected<std::optional<outcome>, error>
stored_outcome(store::rocks_store const& db, salon_id const& salon, command_id const& command, std::string const& key,
               instant now, std::chrono::hours retention);

} // namespace salonq::engine::runtime
