#include "api/http/router.hpp"

#include "api/http/error.hpp"

#include <utility>

namespace salonq::api::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    if (path.starts_with('/')) {
        path.remove_prefix(1);
    }
    while (true) {
        auto const slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            return out;
        }
        path.remove_prefix(slash + 1);
    }
}

bool is_param(std::string_view segment) noexcept { return segment.starts_with('{') && segment.ends_with('}'); }

} // namespace

replier::~replier() {
    if (send_) {
        send_(error_response(status::internal_server_error, "internal", "the request was not answered"));
    }
}

void replier::operator()(response r) {
    auto send = std::exchange(send_, nullptr);
    if (send) {
        send(std::move(r));
    }
}

router::router(std::span<route const> routes) : routes_(routes) {
    for (auto const& r : routes_) {
        compiled_.push_back({&r, split_path(r.pattern)});
    }
}

match_result router::match(verb method, std::string_view path) const {
    // HEAD is GET without the body (RFC 9110 9.3.2): every GET route takes it, the session sends no body.
    auto const wanted = method == verb::head ? verb::get : method;
    auto const segments = split_path(path);
    std::string allow;
    for (auto const& c : compiled_) {
        if (c.segments.size() != segments.size()) {
            continue;
        }
        path_params params;
        bool fits = true;
        for (std::size_t i = 0; i < segments.size() && fits; ++i) {
            if (is_param(c.segments[i])) {
                fits = !segments[i].empty();
                auto const name = c.segments[i].substr(1, c.segments[i].size() - 2);
                params.emplace_back(name, std::string{segments[i]});
            } else {
                fits = c.segments[i] == segments[i];
            }
        }
        if (!fits) {
            continue;
        }
        if (c.r->method != wanted) {
            allow += allow.empty() ? "" : ", ";
            allow += boost::beast::http::to_string(c.r->method);
            allow += c.r->method == verb::get ? ", HEAD" : "";
            continue;
        }
        for (auto& [name, value] : params) {
            auto decoded = percent_decode(value, false);
            if (!decoded) {
                return bad_path{"the path parameter " + std::string{name} + " has a malformed %-escape"};
            }
            value = std::move(*decoded);
        }
        return route_match{c.r, std::move(params)};
    }
    if (!allow.empty()) {
        return wrong_method{std::move(allow)};
    }
    return no_route{};
}

} // namespace salonq::api::http
