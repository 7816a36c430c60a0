#pragma once

// How a decided command reads over HTTP. Built from the outcome's log entries only, so a retried POST (same
// Idempotency-Key) and GET .../commands/{commandId} give the first answer again, byte for byte.
//   accepted: 201 (a salon, a staff member or a ticket was created) or 200,
//             {"commandId","salonId","status":"accepted","seq","events":[...],"ticket":{...}?}
//   refused:  the rejection's status (error.hpp),
//   {"error":{"code","message"},"commandId","salonId","status":"rejected","seq"}

#include "api/http/response.hpp"
#include "engine/runtime/outcome.hpp"

namespace salonq::api::http {

struct services;

// `ports` gives the ticket's link (a walk-in's answer carries it).
[[nodiscard]] response outcome_response(engine::runtime::outcome const& o, services& ports);

} // namespace salonq::api::http
