#include "api/http/handlers/staffing.hpp"

#include "api/http/error.hpp"
#include "api/http/gzip.hpp"
#include "api/http/handlers/stats.hpp"
#include "api/http/services.hpp"
#include "api/http/staffing_port.hpp"
#include "engine/codec/json_reader.hpp"

#include <fmt/format.h>

#include <charconv>

namespace salonq::api::http {
namespace {

constexpr std::int32_t default_weeks = 4;
constexpr std::int32_t default_target_wait_min = 15;
constexpr std::int64_t ms_per_minute = 60'000;

// A whole-number parameter in [1, most], or `fallback` when absent.
[[nodiscard]] std::expected<std::int32_t, response> count_param(request const& req, std::string_view name,
                                                                std::int32_t most, std::int32_t fallback) {
    auto const text = req.query_param(name);
    if (!text) {
        return fallback;
    }
    std::int32_t n = 0;
    auto const [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc{} || end != text->data() + text->size() || n < 1 || n > most) {
        return std::unexpected(bad_query(fmt::format("{} is a whole number from 1 to {}", name, most), name));
    }
    return n;
}

// ?targetWait=MIN, and ?weeks=N or ?from=&to= (the learning days, at most max_stats_days).
[[nodiscard]] std::expected<staffing_query, response> query_of(request const& req, std::string_view salon) {
    auto target = count_param(req, "targetWait", max_target_wait_min, default_target_wait_min);
    auto weeks = count_param(req, "weeks", max_staffing_weeks, default_weeks);
    auto from = day_param(req, "from");
    auto to = day_param(req, "to");
    if (!target || !weeks || !from || !to) {
        return std::unexpected(!target ? target.error() : !weeks ? weeks.error() : !from ? from.error() : to.error());
    }
    staffing_query q{engine::salon_id{std::string{salon}}, *weeks, *from, *to, *target * ms_per_minute};
    if (q.from || q.to) {
        if (req.query_param("weeks")) {
            return std::unexpected(bad_query("give either weeks, or from and to, not both", "weeks"));
        }
        if (!q.from || !q.to) {
            return std::unexpected(bad_query("give from=YYYY-MM-DD and to=YYYY-MM-DD (both)", q.from ? "to" : "from"));
        }
        if (*q.from > *q.to) {
            return std::unexpected(bad_query("from is after to", "from"));
        }
        if (*q.to - *q.from + 1 > max_stats_days) {
            return std::unexpected(bad_query(fmt::format("a range is at most {} days", max_stats_days), "to"));
        }
    }
    return q;
}

// What the answer needs of the request, which is gone by the time the advisor answers.
struct request_info {
    std::string salon;
    bool gzip = false;
    bool known_to_views = false;
};

response answer_of(staffing_result result, request_info const& req) {
    if (!result) {
        switch (result.error().why) {
        case staffing_failure::unknown_salon:
            return not_in_stats(req.known_to_views);
        case staffing_failure::busy: {
            auto r = error_response(status::service_unavailable, "busy", result.error().message);
            r.header("Retry-After", "1");
            return r;
        }
        case staffing_failure::failed:
            break;
        }
        return error_response(status::service_unavailable, "not_ready", result.error().message);
    }
    auto r = json_response(status::ok, std::move(*result));
    r.header("Cache-Control", "no-cache").header("Vary", "Accept-Encoding");
    if (r.body.size() >= 1024 && req.gzip) {
        r.body = gzip(r.body);
        r.header("Content-Encoding", "gzip");
    }
    r.salon_id = req.salon;
    return r;
}

} // namespace

void get_staffing(services& ports, request const& req, replier reply) {
    auto const salon = req.param("salonId");
    if (!engine::codec::is_valid_id(salon)) {
        reply(bad_query(engine::codec::id_rule, "salonId"));
        return;
    }
    auto query = query_of(req, salon);
    if (!query) {
        reply(query.error());
        return;
    }
    if (ports.staffing == nullptr) {
        reply(error_response(status::service_unavailable, "not_ready", "this process keeps no stats"));
        return;
    }
    request_info info{std::string{salon}, accepts_gzip(req.header("Accept-Encoding")), known_to_views(ports, salon)};
    ports.staffing->advise(std::move(*query),
                           [reply = std::move(reply), info = std::move(info)](staffing_result result) mutable {
                               reply(answer_of(std::move(result), info));
                           });
}

} // namespace salonq::api::http
