#include "api/http/dispatch.hpp"

#include "api/http/error.hpp"

#include <boost/beast/core/string.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace salonq::api::http {

std::string random_id(std::string_view prefix) {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw std::runtime_error("OpenSSL's random generator failed");
    }
    static constexpr std::string_view hex = "0123456789abcdef";
    std::string out{prefix};
    for (auto b : bytes) {
        out.push_back(hex[b >> 4U]);
        out.push_back(hex[b & 15U]);
    }
    return out;
}

std::string request_id() {
    struct sequence {
        std::uint64_t start = 0;
        std::uint64_t next = 0;
    };
    thread_local sequence seq = [] {
        sequence s;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&s.start), sizeof s.start) != 1) {
            throw std::runtime_error("OpenSSL's random generator failed");
        }
        return s;
    }();
    return fmt::format("r-{:016x}{:016x}", seq.start, seq.next++);
}

namespace {

// A CORS preflight: the methods the path takes and the headers a page may send. Whether the origin may call at
// all is finish_headers' decision (no Access-Control-Allow-Origin, no call).
response preflight(router const& routes, request const& req) {
    std::string allow;
    for (auto m : {verb::get, verb::post, verb::put, verb::delete_}) {
        if (auto found = routes.match(m, req.path); std::holds_alternative<route_match>(found)) {
            allow += allow.empty() ? "" : ", ";
            allow += boost::beast::http::to_string(m);
        }
    }
    if (allow.empty()) {
        return error_response(status::not_found, "not_found", "no such route");
    }
    auto r = json_response(status::no_content, {});
    r.content_type = "text/plain";
    r.header("Access-Control-Allow-Methods", allow)
        .header("Access-Control-Allow-Headers",
                "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, Last-Event-ID")
        .header("Access-Control-Max-Age", "600")
        .header("Cache-Control", "max-age=600");
    return r;
}

// The name of a query parameter given more than once (?day=A&day=B), if any: request::query_param would take the
// first and drop the other without a word.
std::optional<std::string> repeated_param(std::string_view query) {
    std::vector<std::string_view> names;
    for (std::string_view rest = query; !rest.empty();) {
        auto const amp = rest.find('&');
        auto const pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        auto const name = pair.substr(0, pair.find('='));
        if (std::ranges::find(names, name) != names.end()) {
            return std::string{name};
        }
        names.push_back(name);
    }
    return std::nullopt;
}

response too_many(std::chrono::milliseconds wait, std::string_view whose) {
    auto const seconds = std::max<std::int64_t>(1, (wait.count() + 999) / 1000);
    auto r = error_response(status::too_many_requests, "rate_limited",
                            fmt::format("too many requests from {}; try again in {} s", whose, seconds));
    r.header("Retry-After", std::to_string(seconds));
    return r;
}

// The bearer of the request's token, allowed to do the route's action in the route's salon; otherwise the answer:
// 401 (no token, or one that does not verify) or 403 (a valid token for another salon or another role).
std::expected<auth::principal, response> authenticate(route const& r, services& ports, request const& req) {
    std::string authorization{req.header("Authorization")};
    if (authorization.empty() && r.live) {
        // A browser's WebSocket and EventSource cannot set headers: live routes take the token in the query too
        // (the access log never writes a query string).
        if (auto token = req.query_param("access_token")) {
            authorization = "Bearer " + *token;
        }
    }
    auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto who = ports.auth.authenticate(authorization, now);
    if (!who) {
        auto answer = error_response(status::unauthorized, auth::to_string(who.error().code), who.error().message,
                                     "Authorization");
        // RFC 6750 section 3.1: a request without credentials gets the challenge alone, no error attribute.
        answer.header("WWW-Authenticate", who.error().code == auth::errc::token_missing
                                              ? R"(Bearer realm="salonq")"
                                              : R"(Bearer realm="salonq", error="invalid_token")");
        return std::unexpected(std::move(answer));
    }
    auto const salon = req.param("salonId");
    if (r.across_salons) {
        if (!auth::allowed(who->role, r.does)) {
            return std::unexpected(
                error_response(status::forbidden, auth::to_string(auth::errc::forbidden_action),
                               fmt::format("role {} may not {}", auth::to_string(who->role), auth::to_string(r.does))));
        }
        return std::move(*who);
    }
    if (!r.pattern.contains("{salonId}")) {
        if (who->role != auth::role::admin) {
            return std::unexpected(error_response(status::forbidden, auth::to_string(auth::errc::forbidden_action),
                                                  "only an admin token may use this route"));
        }
        return std::move(*who);
    }
    if (auto allowed = auth::authorize(*who, r.does, engine::salon_id{std::string{salon}}); !allowed) {
        return std::unexpected(
            error_response(status::forbidden, auth::to_string(allowed.error().code), allowed.error().message));
    }
    return std::move(*who);
}

} // namespace

admission admit(router const& routes, services& ports, request const& req) {
    if (req.raw.method() == verb::options) {
        return preflight(routes, req);
    }
    auto matched = routes.match(req.raw.method(), req.path);
    if (std::holds_alternative<no_route>(matched)) {
        return error_response(status::not_found, "not_found", "no such route");
    }
    if (auto* wrong = std::get_if<wrong_method>(&matched)) {
        auto r = error_response(status::method_not_allowed, "method_not_allowed", "this path takes " + wrong->allow);
        r.header("Allow", wrong->allow);
        return r;
    }
    if (auto* bad = std::get_if<bad_path>(&matched)) {
        return error_response(status::bad_request, "bad_path", bad->message);
    }
    auto& found = std::get<route_match>(matched);
    auto const pattern = found.found->pattern;
    auto refuse = [pattern](response r) {
        r.route = pattern;
        return r;
    };
    if (pattern.starts_with("/v1/")) { // (a page reads its own address)
        if (auto const twice = repeated_param(req.query)) {
            return refuse(error_response(status::bad_request, "invalid_value",
                                         fmt::format("the query parameter {} is given more than once", *twice),
                                         *twice));
        }
    }
    if (!req.raw.body().empty() || req.raw.method() == verb::post) {
        auto const type = req.header("Content-Type");
        auto const media = type.substr(0, type.find(';'));
        if (!boost::beast::iequals(media, "application/json") && !(req.raw.body().empty() && media.empty())) {
            return refuse(error_response(status::unsupported_media_type, "unsupported_media_type",
                                         "the body must be application/json", "Content-Type"));
        }
    }
    if (auto wait = ports.per_client.take(req.client, std::chrono::steady_clock::now())) {
        return refuse(too_many(*wait, "this address"));
    }
    request bound{req.raw, req.path, req.query, std::move(found.params), req.request_id, pattern, req.client, {}};
    if (found.found->who == access::token) {
        auto who = authenticate(*found.found, ports, bound);
        if (!who) {
            return refuse(std::move(who.error()));
        }
        if (auto wait = ports.per_token.take(who->jti, std::chrono::steady_clock::now())) {
            return refuse(too_many(*wait, "this token"));
        }
        bound.who = std::move(*who);
    }
    return admitted{found.found, std::move(bound)};
}

void dispatch(router const& routes, services& ports, request const& req, replier reply) {
    auto a = admit(routes, ports, req);
    if (auto* r = std::get_if<response>(&a)) {
        reply(std::move(*r));
        return;
    }
    auto& [found, bound] = std::get<admitted>(a);
    run_handler(*found, ports, bound, std::move(reply));
}

void run_handler(route const& r, services& ports, request const& bound, replier reply) {
    // Every answer of this route names it, for the access log and the metrics.
    replier named{[pattern = r.pattern, inner = std::move(reply)](response answer) mutable {
        answer.route = pattern;
        inner(std::move(answer));
    }};
    r.handler(ports, bound, std::move(named));
}

} // namespace salonq::api::http
