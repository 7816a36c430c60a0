#pragma once

// How a decided command reads over HTTP. Built from the outcome's log entries only, so a retried POST (same
// Idempotency-Key) and GET .../commands/{commandId} give the first answer again, byte for byte (GET without the
// customer's contact for a role that may not read the salon's events: outcome_reader).
//   accepted: 201 (a salon, a staff member or a ticket was created) or 200,
//             {"commandId","salonId","status":"accepted","seq","events":[...],"ticket":{...}?}
//   refused:  the rejection's status (error.hpp),
//   {"error":{"code","message"},"commandId","salonId","status":"rejected","seq"}

#include "api/http/response.hpp"
#include "engine/runtime/outcome.hpp"

#include <cstdint>

namespace salonq::api::http {

struct services;

// Whether the answer shows the customer's contact (phone, customerId) in its events: to the command's sender (its
// POST, a retry), and on GET .../commands/{commandId} to a role that may read the salon's events (manager, owner,
// analyst, admin); not to a screen's or another terminal's token trying commandIds for phone numbers.
enum class outcome_reader : std::uint8_t { with_contact, without_contact };

// `ports` gives the ticket's link (a walk-in's answer carries it).
[[nodiscard]] response outcome_response(engine::runtime::outcome const& o, services& ports,
                                        outcome_reader reader = outcome_reader::with_contact);

} // namespace salonq::api::http
