#pragma once

// What each walk-in was told at join time (its ticket's join_wait), kept by ticket for as long as the engine keeps
// its commandId. A retried walk-in is answered with its first response byte for byte, estimated wait included; the
// view holds that figure only while the ticket is in line, in service or among the last ended ones, so a retry of an
// older walk-in reads it from here. Stored in the views' `dedupe` family, whose compaction filter drops an entry past
// the dedupe window by the receive time its value starts with. Private to projections/store.

#include "engine/domain/events.hpp"
#include "engine/store/rocks_store.hpp"
#include "projections/queue/told_wait.hpp"

#include <expected>
#include <optional>
#include <string>

namespace salonq::projections::detail {

[[nodiscard]] std::string told_key(engine::salon_id const& salon, engine::ticket_id ticket);

// Puts what the walk-in of `ticket`, issued at `at`, was told into `batch`.
void put_told(engine::store::write_batch& batch, engine::salon_id const& salon, engine::ticket_id ticket,
              engine::instant at, told_wait const& told);

// What the walk-in of `ticket` was told; none if nothing is kept (no estimate then, or older than the window).
[[nodiscard]] std::expected<std::optional<told_wait>, engine::store::error>
stored_told(engine::store::rocks_store const& db, engine::salon_id const& salon, engine::ticket_id ticket);

} // namespace salonq::projections::detail
