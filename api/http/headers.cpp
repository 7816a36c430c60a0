#include "api/http/headers.hpp"

#include <algorithm>
#include <string>

namespace salonq::api::http {

namespace bhttp = boost::beast::http;

bool origin_allowed(server_options const& options, std::string_view origin) noexcept {
    return !origin.empty() && std::any_of(options.cors_origins.begin(), options.cors_origins.end(),
                                          [&](auto const& o) { return o == "*" || o == origin; });
}

void finish_headers(bhttp::response_header<>& out, response const& r, std::string_view request_id,
                    server_options const& options, std::string_view origin) {
    out.set(bhttp::field::content_type, r.content_type);
    out.set("X-Request-Id", request_id);
    out.set("X-Content-Type-Options", "nosniff");
    out.set("X-Frame-Options", "DENY");
    out.set("Referrer-Policy", "no-referrer");
    out.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    bool cache_set = false;
    for (auto const& [name, value] : r.headers) {
        out.set(name, value);
        cache_set = cache_set || boost::beast::iequals(name, "Cache-Control");
    }
    if (!cache_set) {
        out.set(bhttp::field::cache_control, "no-store");
    }
    if (origin_allowed(options, origin)) {
        out.set(bhttp::field::access_control_allow_origin, origin);
        auto const vary = out[bhttp::field::vary]; // keep what the response varies by already (Accept-Encoding)
        out.set(bhttp::field::vary, vary.empty() ? std::string{"Origin"} : std::string{vary} + ", Origin");
        out.set(bhttp::field::access_control_expose_headers,
                "ETag, Location, Retry-After, X-Request-Id, Idempotent-Replayed");
    }
}

} // namespace salonq::api::http
