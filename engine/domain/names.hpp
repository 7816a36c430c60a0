#pragma once

// Which command an event is the decision of: the HTTP API tells by it whether an Idempotency-Key sent again belongs
// to the same command.

#include "engine/domain/events.hpp"

#include <string_view>

namespace salonq::engine {

// The type (type_name of its command_body) of the command whose decision an event is: every command is decided
// into one event of its own kind (walk_in -> ticket_issued, close_day -> day_closed, ...).
[[nodiscard]] std::string_view command_type_of(event_body const& body) noexcept;

} // namespace salonq::engine
