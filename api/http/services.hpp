#pragma once

// The ports a route handler may use, wired once per process by the server's owner (api/cli's serve): the engine
// behind its gateway, the clock, the options and the logger. Handlers take them by reference and own nothing.

#include "api/auth/authenticator.hpp"
#include "api/gateway/command_gateway.hpp"
#include "api/http/decision_deadlines.hpp"
#include "api/http/live/live_hub.hpp"
#include "api/http/metrics.hpp"
#include "api/http/options.hpp"
#include "api/http/projection_admin.hpp"
#include "api/http/rate_limiter.hpp"
#include "api/http/staffing_port.hpp"
#include "api/http/unsettled_commands.hpp"
#include "engine/domain/time.hpp"
#include "engine/logging/logger.hpp"
#include "projections/store/queue_views.hpp"

#include <expected>
#include <functional>
#include <string>

namespace salonq::notify {
class notify_store;
struct salon_settings;
} // namespace salonq::notify
namespace salonq::projections::stats_store {
class stats_store;
} // namespace salonq::projections::stats_store
namespace salonq::loyalty {
class loyalty_store;
} // namespace salonq::loyalty

namespace salonq::api::http {

struct services {
    server_options const& options;
    command_gateway& commands;
    auth::authenticator& auth;
    http::metrics& metrics;
    std::function<engine::instant()> clock;
    logging::logger log{"http"};
    rate_limiter per_client{options.client_rate, options.client_burst};
    rate_limiter per_token{options.token_rate, options.token_burst};
    // Commands answered 202 and not decided yet, or failed since (GET .../commands/{id}).
    unsettled_commands unsettled{100'000, std::chrono::minutes{60}};
    live_hub* live = nullptr;                      // the live streams' fan-out, where a read model feeds one
    projections::queue_views* views = nullptr;     // the queue views, where this process keeps them
    projection_admin* projections = nullptr;       // rebuilds without downtime, where this process can
    notify::notify_store* notifications = nullptr; // webhook settings and dead letters, where a notifier runs here
    bool webhook_allow_private = false;            // the notifier may reach private addresses (serve's option)
    // Kafka mode: a PUT of webhook settings goes to every instance through this (salonq.notify-settings), not
    // straight into the local store.
    std::function<std::expected<void, std::string>(engine::salon_id const&, notify::salon_settings const&)>
        publish_notification_settings{};
    // The stats projection, where this process keeps it.
    projections::stats_store::stats_store* stats = nullptr;
    staffing_port* staffing = nullptr;         // staffing advice from the stats, where this process keeps them
    loyalty::loyalty_store* loyalty = nullptr; // customers' points, where this process keeps them (embedded mode)
    // When a POST stops waiting for its decision and answers 202; set by server::open to its own.
    decision_deadlines* deadlines = nullptr;
};

// A fresh random id (128 bits from OpenSSL's generator, hex) with a prefix: a commandId the server makes when a
// POST has no Idempotency-Key.
[[nodiscard]] std::string random_id(std::string_view prefix);
// A request's X-Request-Id: "r-" and 32 hex digits, unique (a random 64-bit start per thread, then a counter) but
// not secret, so it costs no call into OpenSSL's generator per request (random_id did: 5 % of a cached GET).
[[nodiscard]] std::string request_id();

} // namespace salonq::api::http
