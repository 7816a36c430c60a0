#pragma once

// From a parsed request to a handler's response, without a socket: route match (404, 405 with Allow, 400 for a
// malformed path), then the handler. The session calls it for every request; tests call it directly.

#include "api/http/router.hpp"
#include "api/http/services.hpp"

namespace salonq::api::http {

void dispatch(router const& routes, services& ports, request const& req, replier reply);

} // namespace salonq::api::http
