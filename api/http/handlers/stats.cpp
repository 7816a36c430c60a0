#include "api/http/handlers/stats.hpp"

#include "api/http/error.hpp"
#include "api/http/gzip.hpp"
#include "api/http/services.hpp"
#include "engine/codec/json_reader.hpp"
#include "projections/stats_store/stats_json.hpp"
#include "projections/store/queue_views.hpp"

#include <fmt/format.h>

namespace salonq::api::http {
namespace {

struct day_range {
    engine::local_day first = 0;
    engine::local_day last = 0;
};

// ?day=D, or ?from=A&to=B with A <= B and at most max_stats_days days.
[[nodiscard]] std::expected<day_range, response> range_of(request const& req) {
    auto day_given = day_param(req, "day");
    auto from_given = day_param(req, "from");
    auto to_given = day_param(req, "to");
    for (auto const* p : {&day_given, &from_given, &to_given}) {
        if (!*p) {
            return std::unexpected(p->error());
        }
    }
    auto const day = *day_given;
    auto const from = *from_given;
    auto const to = *to_given;
    if (day) {
        if (from || to) {
            return std::unexpected(bad_query("give either day, or from and to, not both", "day"));
        }
        return day_range{*day, *day};
    }
    if (!from || !to) {
        return std::unexpected(bad_query("give day=YYYY-MM-DD, or from=YYYY-MM-DD and to=YYYY-MM-DD (both)",
                                         from ? "to" : (to ? "from" : "day")));
    }
    if (*from > *to) {
        return std::unexpected(bad_query("from is after to", "from"));
    }
    if (*to - *from + 1 > max_stats_days) {
        return std::unexpected(bad_query(fmt::format("a range is at most {} days", max_stats_days), "to"));
    }
    return day_range{*from, *to};
}

} // namespace

response bad_query(std::string_view message, std::string_view field) {
    return error_response(status::bad_request, "invalid_value", message, field);
}

std::expected<std::optional<engine::local_day>, response> day_param(request const& req, std::string_view name) {
    auto const text = req.query_param(name);
    if (!text) {
        return std::nullopt;
    }
    auto const day = engine::codec::parse_day(*text);
    if (!day) {
        return std::unexpected(bad_query(fmt::format("{} is a date like 2026-11-21 (YYYY-MM-DD)", name), name));
    }
    return day;
}

void get_stats(services& ports, request const& req, replier reply) {
    auto const salon = req.param("salonId");
    if (!engine::codec::is_valid_id(salon)) {
        reply(bad_query(engine::codec::id_rule, "salonId"));
        return;
    }
    auto const range = range_of(req);
    if (!range) {
        reply(range.error());
        return;
    }
    if (ports.stats == nullptr) {
        reply(error_response(status::service_unavailable, "not_ready", "this process keeps no stats"));
        return;
    }
    auto const stats = ports.stats->stats(engine::salon_id{std::string{salon}}, range->first, range->last);
    if (!stats) {
        reply(error_response(status::service_unavailable, "not_ready", stats.error()));
        return;
    }
    std::optional<projections::stats_store::salon_stats> const& found = *stats;
    if (!found) {
        reply(not_in_stats(known_to_views(ports, salon)));
        return;
    }
    auto r = json_response(status::ok, projections::stats_store::encode_stats(*found));
    r.header("Cache-Control", "no-cache").header("Vary", "Accept-Encoding");
    if (r.body.size() >= 1024 && accepts_gzip(req.header("Accept-Encoding"))) {
        r.body = gzip(r.body);
        r.header("Content-Encoding", "gzip");
    }
    r.salon_id = std::string{salon};
    reply(std::move(r));
}

bool known_to_views(services& ports, std::string_view salon) {
    return ports.views != nullptr && ports.views->view(engine::salon_id{std::string{salon}}) != nullptr;
}

response not_in_stats(bool known_to_views) {
    if (known_to_views) {
        auto r = error_response(status::service_unavailable, "not_ready",
                                "the stats have not folded this salon's first events yet; retry in a moment");
        r.header("Retry-After", "1");
        return r;
    }
    return error_response(status::not_found, "salon_not_found", "no salon with this id", "salonId");
}

} // namespace salonq::api::http
