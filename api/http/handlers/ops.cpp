#include "api/http/handlers/ops.hpp"

#include "api/http/error.hpp"
#include "api/http/services.hpp"
#include "engine/codec/json_writer.hpp"

namespace salonq::api::http {

void get_healthz(services& /*ports*/, request const& /*req*/, replier reply) {
    reply(json_response(status::ok, R"({"status":"ok"})"));
}

void get_readyz(services& ports, request const& /*req*/, replier reply) {
    if (auto why = ports.commands.not_ready()) {
        reply(error_response(status::service_unavailable, "not_ready", *why));
        return;
    }
    if (ports.views != nullptr) {
        if (auto health = ports.views->health(); !health.ok()) {
            auto const& first = health.broken.front();
            reply(error_response(status::service_unavailable, "views_broken",
                                 fmt::format("{} salon views stopped at a gap in their seq (first: {} at seq {}, then "
                                             "{}); rebuild the views",
                                             health.broken.size(), first.salon.value(), first.last_applied.value(),
                                             first.seen.value())));
            return;
        }
        if (auto health = ports.views->health(); health.checkpoint_failure) {
            reply(error_response(status::service_unavailable, "views_not_saved",
                                 "the queue views cannot be saved (a restart would catch up from an older point): " +
                                     *health.checkpoint_failure));
            return;
        }
    }
    reply(json_response(status::ok, R"({"status":"ready"})"));
}

void get_live_plain(services& ports, request const& /*req*/, replier reply) {
    if (ports.live == nullptr) {
        reply(error_response(status::service_unavailable, "not_ready", "live streams are not served by this process"));
        return;
    }
    reply(error_response(status::bad_request, "stream_required",
                         "this route streams: open a WebSocket, or send Accept: text/event-stream"));
}

void get_metrics(services& ports, request const& /*req*/, replier reply) {
    auto r = json_response(status::ok, ports.metrics.render());
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    reply(std::move(r));
}

} // namespace salonq::api::http
