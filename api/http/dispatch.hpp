#pragma once

// From a parsed request to a handler's response, without a socket. The session calls it for every request (and
// takes a live route's connection over itself); tests call it directly.

#include "api/http/router.hpp"
#include "api/http/services.hpp"

#include <variant>

namespace salonq::api::http {

// A request that may go to its route's handler: the route, and the request with its path parameters bound.
struct admitted {
    route const* found;
    request bound;
};
using admission = std::variant<admitted, response>;

// Everything before the handler: the route (404, 405 with Allow, 400 for a malformed path, a CORS preflight),
// the content type (415) and the client's rate (429). A response is the answer; admitted goes on.
[[nodiscard]] admission admit(router const& routes, services& ports, request const& req);

// Runs the route's handler; every answer it gives names the route (access log, metrics).
void run_handler(route const& r, services& ports, request const& bound, replier reply);

// admit, then run_handler.
void dispatch(router const& routes, services& ports, request const& req, replier reply);

} // namespace salonq::api::http
