#pragma once

// The command routes: a POST (or PUT/PATCH) becomes one engine command. The body is the command's payload,
// checked by the same strict codec as the log (422 naming the field path); ids in the path are spliced into it;
// the salon comes from the path, the actor from the token, the commandId from Idempotency-Key (or a fresh one,
// returned), expectedSeq from If-Match. The response waits up to decision_wait for the engine's decision, then
// answers 202 with the Location of GET .../commands/{commandId}.

#include "api/http/router.hpp"

#include <string_view>

namespace salonq::api::http {

// Submits a command of `type` (`walk_in`, `start`, ...) built from the request; `path_field` names the path
// parameter that is a payload field (ticketId, staffId), if any.
void submit_command(services& ports, request const& req, replier reply, std::string_view type,
                    std::string_view path_field);

// GET .../commands/{commandId}: the outcome of an earlier command, as its POST answered; 404 if unknown.
void get_command(services& ports, request const& req, replier reply);

} // namespace salonq::api::http
