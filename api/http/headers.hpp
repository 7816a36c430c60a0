#pragma once

// The headers every response carries, set in one place: content type, the request id, the security headers an
// API should send (no sniffing, no framing, no referrer, nothing cached unless the route says so) and CORS for
// the configured origins.

#include "api/http/options.hpp"
#include "api/http/response.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string_view>

namespace salonq::api::http {

void finish_headers(boost::beast::http::response_header<>& out, response const& r, std::string_view request_id,
                    server_options const& options, std::string_view origin);

// Whether a browser page from `origin` may call the API (the configured list, or "*").
[[nodiscard]] bool origin_allowed(server_options const& options, std::string_view origin) noexcept;

} // namespace salonq::api::http
