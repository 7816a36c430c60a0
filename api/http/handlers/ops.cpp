#include "api/http/handlers/ops.hpp"

#include "api/http/error.hpp"
#include "api/http/services.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/store/rocks_store.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace salonq::api::http {

void get_healthz(services& /*ports*/, request const& /*req*/, replier reply) {
    reply(json_response(status::ok, R"({"status":"ok"})"));
}

namespace {

// /readyz needs no token (a load balancer asks it), so its answer says what is wrong but not the details (a salon's
// id, a store's path, a broker's error): those go to the server's log, one line per 10 s at most, as a balancer asks
// every few seconds.
response not_ready(services& ports, std::string_view code, std::string message, std::string const& detail) {
    static std::atomic<std::int64_t> last_logged{std::numeric_limits<std::int64_t>::min() / 2};
    auto const now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    constexpr std::int64_t every = 10;
    if (auto last = last_logged.load(); now - last >= every && last_logged.compare_exchange_strong(last, now)) {
        ports.log.warn("/readyz answers 503 {}: {}", code, detail);
    }
    return error_response(status::service_unavailable, code,
                          std::move(message) + " (the details are in the server's log)");
}

} // namespace

void get_readyz(services& ports, request const& /*req*/, replier reply) {
    if (auto const full = engine::store::unwritable_stores(); !full.empty()) {
        reply(not_ready(ports, "store_not_writable",
                        fmt::format("{} of this process's stores take no writes (a full disk?); each recovers by "
                                    "itself once space is freed",
                                    full.size()),
                        fmt::format("{}: {}{}", full.front().path, full.front().why,
                                    full.size() > 1 ? fmt::format(" (and {} more)", full.size() - 1) : "")));
        return;
    }
    if (auto why = ports.commands.not_ready()) {
        reply(not_ready(ports, "not_ready", "commands cannot be taken now: the store or the broker is failing", *why));
        return;
    }
    if (ports.views != nullptr) {
        if (auto health = ports.views->health(); !health.ok()) {
            auto const& first = health.broken.front();
            reply(not_ready(
                ports, "views_broken",
                fmt::format("{} salon views stopped at a gap in their seq; rebuild the views", health.broken.size()),
                fmt::format("{} salon views stopped at a gap in their seq (first: {} at seq {}, then {})",
                            health.broken.size(), first.salon.value(), first.last_applied.value(),
                            first.seen.value())));
            return;
        }
        if (auto health = ports.views->health(); health.checkpoint_failure) {
            reply(not_ready(ports, "views_not_saved",
                            "the queue views cannot be saved (a restart would catch up from an older point)",
                            "the queue views cannot be saved: " + *health.checkpoint_failure));
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
