#pragma once

// What a route handler answers: a status, a body and the headers that belong to this response. The session adds
// what every response carries (security headers, the request id, keep-alive) when it writes it.

#include <boost/beast/http/status.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace salonq::api::http {

using status = boost::beast::http::status;

struct response {
    status code = status::ok;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    // For the access log: the route's pattern and, where they apply, the salon and command it was about.
    std::string_view route;
    std::string salon_id;
    std::string command_id;

    response& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

[[nodiscard]] inline response json_response(status code, std::string body) {
    response r;
    r.code = code;
    r.body = std::move(body);
    return r;
}

} // namespace salonq::api::http
