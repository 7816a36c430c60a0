#pragma once

// What each walk-in was told at join time (its ticket's join_wait), kept by ticket. A retried walk-in is answered
// with its first response byte for byte, estimated wait included; the view holds that figure only while the ticket is
// in line, in service or among the last ended ones, so a retry of an older walk-in reads it from here. Stored in the
// views' `events` family beside the salon's events, under 'j', the salon and the ticket (8 bytes, big-endian): a
// salon's tickets come in order, so each insert starts where the salon's last one ended (the family's insert hint per
// stream, open_options::salon_streams). Kept like the events (28 bytes a walk-in). The views' thread at 7,000
// walk-ins/s: ~35 us a walk-in without the record, ~37 with it here, ~41 in the `dedupe` family (where a retention
// filter would have dropped it after the dedupe window, but a second column family in each batch costs more); medians
// of 5, 5 and 2 runs (perf stat --per-thread). Private to projections/store.

#include "engine/domain/events.hpp"
#include "engine/store/rocks_store.hpp"
#include "projections/queue/told_wait.hpp"

#include <expected>
#include <optional>
#include <string>

namespace salonq::projections::detail {

[[nodiscard]] std::string told_key(engine::salon_id const& salon, engine::ticket_id ticket);

// Puts what the walk-in of `ticket` was told into `batch`.
void put_told(engine::store::write_batch& batch, engine::salon_id const& salon, engine::ticket_id ticket,
              told_wait const& told);

// What the walk-in of `ticket` was told; none if nothing is kept (it was told no estimate, or is unknown).
[[nodiscard]] std::expected<std::optional<told_wait>, engine::store::error>
stored_told(engine::store::rocks_store const& db, engine::salon_id const& salon, engine::ticket_id ticket);

} // namespace salonq::projections::detail
