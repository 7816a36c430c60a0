#pragma once

// Everything `salonq serve --brokers --role api` runs, wired in one place (the counterpart of embedded_stack): the
// queue views with their outcome index (<data>/views), fed from salonq.events by kafka_feed, the live hub fed from
// the views, the stats (<data>/stats, with the staffing advisor) and the loyalty ledger (<data>/loyalty) folded from
// salonq.events by kafka_folds, the rebuilder of those three (each store in its generation, as in embedded mode),
// the notifier (kafka_notify: <data>/notify-kafka), the kafka_gateway producing commands to salonq.commands, the
// authenticator (<data>/auth, and the cluster's salonq.revocations), the metrics and the HTTP server. No engine:
// workers decide (role engine, or all). Teardown (~kafka_stack): the server has stopped; a rebuild under way stops,
// the feed, the stats and the ledger, the notifier stop, the gateway (its waiters answered), the revocations, the
// views go, then the server's io_context.

#include "api/auth/authenticator.hpp"
#include "api/gateway/kafka_feed.hpp"
#include "api/gateway/kafka_gateway.hpp"
#include "api/http/live/live_hub.hpp"
#include "api/http/metrics.hpp"
#include "api/http/options.hpp"
#include "api/http/server.hpp"
#include "api/http/services.hpp"
#include "api/kafka/revocation_topic.hpp"
#include "api/serve/kafka_folds.hpp"
#include "api/serve/kafka_notify.hpp"
#include "api/serve/rebuilder.hpp"
#include "engine/kafka/settings.hpp"
#include "projections/store/queue_views.hpp"

#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace salonq::api {

struct kafka_stack_options {
    std::filesystem::path data;
    engine::kafka::settings kafka;
    http::server_options http{};
    std::optional<std::filesystem::path> keyring{}; // default <data>/auth/keyring.json
    std::int64_t max_lag_events = 1000;             // /readyz fails beyond this
    std::string instance = "api-1";                 // unique per running instance (the notifier's transactional.id)
    notify::service_options notify{};               // the notifier's senders
};

class kafka_stack {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<kafka_stack>, std::string> open(kafka_stack_options o);
    ~kafka_stack();
    kafka_stack(kafka_stack const&) = delete;
    kafka_stack& operator=(kafka_stack const&) = delete;

    // Serves until stop() (or SIGINT/SIGTERM with on_signals); returns once drained. `serving`: http::server::run.
    void run(bool on_signals, std::function<void()> const& serving = {});
    void stop();
    [[nodiscard]] std::uint16_t port() const noexcept;

private:
    kafka_stack() = default;
    [[nodiscard]] std::optional<std::string> open_read_side();
    void add_gauges();

    kafka_stack_options options_;
    std::unique_ptr<projections::queue_views> views_;
    std::unique_ptr<http::live_hub> hub_;
    std::unique_ptr<kafka_feed> feed_;
    kafka_folds folds_;                            // the stats and the loyalty ledger
    kafka_notify notify_;                          // the notification consumer
    projections::subscription_id folds_woken_ = 0; // the views' changes wake the folds
    std::unique_ptr<rebuilder> rebuilder_;         // of the views, stats and ledger: stopped before they go
    std::unique_ptr<kafka_gateway> gateway_;
    std::unique_ptr<kafka::topic_revocations> revocations_;
    std::unique_ptr<auth::authenticator> auth_;
    http::metrics metrics_;
    std::unique_ptr<http::services> ports_;
    std::unique_ptr<http::server> server_;
};

} // namespace salonq::api
