#pragma once

// Kafka mode's outcome index: each command's outcome (its events, or its rejected_command, with where they are in
// the events log) by salonId and commandId, kept in the views' RocksDB and written in the views' WriteBatch. An
// api instance answers a retried command, and a command the engine deduplicated (it appends nothing the second
// time), from here; see docs/outcome-index.md. Private to projections/store.

#include "engine/domain/events.hpp"
#include "engine/runtime/outcome.hpp"
#include "engine/store/rocks_store.hpp"

#include <chrono>
#include <expected>
#include <optional>
#include <span>
#include <string>

namespace salonq::projections::detail {

// An entry of the events log at its offset.
struct positioned {
    engine::offset_t offset;
    engine::log_entry const* entry;
};

[[nodiscard]] std::string outcome_key(engine::salon_id const& salon, engine::command_id const& command);

// Puts the outcomes of `entries` (runs of one command's entries, in offset order) into `batch`. The first run may
// continue an outcome an earlier apply began (a poll that ended inside a command's events): it is read and
// extended, never overwritten with a part.
[[nodiscard]] std::expected<void, engine::store::error> index_outcomes(engine::store::rocks_store const& db,
                                                                       engine::store::write_batch& batch,
                                                                       engine::partition_id p,
                                                                       std::span<positioned const> entries);

// The stored outcome under outcome_key(salon, command); none if there is none, or if its command was received more
// than `retention` before `now` (the engine has forgotten that commandId and decides it anew; the store's filter drops
// such an entry only at a compaction); an error if it does not decode.
[[nodiscard]] std::expected<std::optional<engine::runtime::outcome>, std::string>
stored_outcome(engine::store::rocks_store const& db, engine::salon_id const& salon, engine::command_id const& command,
               engine::instant now, std::chrono::hours retention);

} // namespace salonq::projections::detail
