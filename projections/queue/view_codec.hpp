#pragma once

#include "engine/codec/errc.hpp"
#include "engine/codec/json_writer.hpp"
#include "projections/queue/queue_view.hpp"

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace salonq::projections {

// Which JSON of a view: the stored one is complete, so that decode_view(encode_view(v)) == v (what queue_views and
// the notifier keep); the served one (GET .../queue, live streams) leaves out `observed`, the salon's learned pace,
// which screens do not need and which holds each staff member's measured speed, and shows only the latest
// queue_view::served_recently_ended of the recently ended tickets.
enum class view_form : std::uint8_t { stored, served };

// The queue view as JSON (schemas/views/queue_view.schema.json).
[[nodiscard]] std::string encode_view(queue_view const& v, view_form form = view_form::stored);
void write_view(engine::codec::json_writer& w, queue_view const& v, view_form form = view_form::stored);
// Strict, like the engine's codec: an unknown, missing or out-of-range field is an error naming its path.
[[nodiscard]] std::expected<queue_view, engine::codec::error> decode_view(std::string_view json);

// One ticket's own status (schemas/views/ticket_status.schema.json), for the customer's ticket link: its status,
// token, position and estimated wait while waiting, its start and expected end while served, when it ended once
// it is over. Nothing about other customers. None if the view does not know the ticket (never issued, or ended
// longer ago than the view keeps).
[[nodiscard]] std::optional<std::string> encode_ticket(queue_view const& v, engine::ticket_id id);

} // namespace salonq::projections
