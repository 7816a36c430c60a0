#pragma once

// Operations routes: /healthz (the process answers) and /readyz (it can decide commands), open to anyone, and
// /metrics.

#include "api/http/router.hpp"

namespace salonq::api::http {

void get_healthz(services& ports, request const& req, replier reply);
void get_readyz(services& ports, request const& req, replier reply);
// GET .../live without asking for a stream: says how to ask (a WebSocket upgrade or Accept: text/event-stream).
void get_live_plain(services& ports, request const& req, replier reply);
// Prometheus' text format (for an operator's scraper, with an admin token).
void get_metrics(services& ports, request const& req, replier reply);

} // namespace salonq::api::http
