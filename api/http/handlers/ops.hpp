#pragma once

// Operations routes, open to anyone: /healthz (the process answers) and /readyz (it can decide commands).

#include "api/http/router.hpp"

namespace salonq::api::http {

void get_healthz(services& ports, request const& req, replier reply);
void get_readyz(services& ports, request const& req, replier reply);

} // namespace salonq::api::http
