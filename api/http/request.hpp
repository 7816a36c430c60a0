#pragma once

// A request as a route handler sees it: the parsed HTTP message, the path parameters its route pattern bound,
// the query string, and the request id the access log and the response carry. Handlers take it by const
// reference and never see the socket, so they are tested without one.

#include "api/auth/principal.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace salonq::api::http {

using raw_request = boost::beast::http::request<boost::beast::http::string_body>;

// Names bound by a route pattern ("/v1/salons/{salonId}/tickets/{ticketId}"), in pattern order.
using path_params = std::vector<std::pair<std::string_view, std::string>>;

struct request {
    raw_request const& raw;
    std::string_view path;  // without the query string
    std::string_view query; // after '?', undecoded
    path_params params;
    std::string request_id;
    std::string_view route;             // the matched route's pattern (set by dispatch)
    std::string_view client;            // the peer's IP address
    std::optional<auth::principal> who; // the token's bearer, on a route that needs one (set by admit)

    [[nodiscard]] std::string_view param(std::string_view name) const noexcept;
    // The first value of a query parameter, percent-decoded (as it came if an escape is malformed); none if absent.
    [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
    [[nodiscard]] std::string_view header(std::string_view name) const;
};

// If-None-Match holds this ETag (or *): the client's copy is current (304).
[[nodiscard]] bool not_modified(request const& req, std::string_view etag);

// Percent-decodes a path segment or query value; none for a malformed escape. '+' stays '+' in a path segment
// and is a space in a query value.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

} // namespace salonq::api::http
