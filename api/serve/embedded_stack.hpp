#pragma once

// Everything `salonq serve` runs in embedded mode, wired in one place: the engine over the data directory, the
// queue views beside it (<data>/views) fed from the engine's commits, the live hub fed from the views, the
// notifier (<data>/notify), the loyalty ledger (<data>/loyalty, api/serve/loyalty_wiring) and the stats (<data>/stats),
// each woken by the views' feed after a round and reading the log's latest entries as the feed applied them
// (engine::runtime::decoded_tail), the rebuilder of those three projections (POST
// /v1/admin/projections/{name}/rebuild), the authenticator (<data>/auth), the metrics and the HTTP server. Used by the
// command line and by the tests, so they run the same process. Teardown (~embedded_stack): the views' feed is detached,
// the notifier and the loyalty consumer stop, the engine finishes its last batch, then the server (its io_context)
// goes.

#include "api/auth/authenticator.hpp"
#include "api/gateway/embedded_feed.hpp"
#include "api/gateway/embedded_gateway.hpp"
#include "api/http/live/live_hub.hpp"
#include "api/http/metrics.hpp"
#include "api/http/options.hpp"
#include "api/http/server.hpp"
#include "api/http/services.hpp"
#include "api/serve/loyalty_wiring.hpp"
#include "api/serve/notify_wiring.hpp"
#include "api/serve/rebuilder.hpp"
#include "api/serve/stats_wiring.hpp"
#include "engine/runtime/decoded_tail.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "projections/store/queue_views.hpp"

#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace salonq::api {

struct embedded_stack_options {
    std::filesystem::path data;
    engine::runtime::engine_options engine{};
    http::server_options http{};
    std::optional<std::filesystem::path> keyring{}; // default <data>/auth/keyring.json
    embedded_feed::apply_hook before_views_apply{}; // tests only: run before each apply of the views
    notify::service_options notify{};               // the notifier's senders, deadline and retries
};

class embedded_stack {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<embedded_stack>, std::string> open(embedded_stack_options o);
    ~embedded_stack();
    embedded_stack(embedded_stack const&) = delete;
    embedded_stack& operator=(embedded_stack const&) = delete;

    // Serves until stop() (or SIGINT/SIGTERM with on_signals); returns once drained. `serving`: http::server::run.
    void run(bool on_signals, std::function<void()> const& serving = {});
    void stop();

    [[nodiscard]] std::uint16_t port() const noexcept;
    [[nodiscard]] engine::runtime::embedded_engine& engine() noexcept { return *engine_; }
    [[nodiscard]] projections::queue_views& views() noexcept { return *views_; }
    [[nodiscard]] http::live_hub& live() noexcept { return *hub_; }

private:
    embedded_stack() = default;

    embedded_stack_options options_;
    embedded_feed feed_;     // outlives the engine: the engine's hook points at it
    notify_wiring notify_;   // outlives the engine too (the feed wakes it); stopped before the engine closes
    stats_wiring stats_;     // stopped before the engine and the views go (it reads no further than the views)
    loyalty_wiring loyalty_; // likewise
    std::unique_ptr<engine::runtime::embedded_engine> engine_;
    // The log's latest entries as the feed applied them, read by the notifier, the stats and loyalty (stopped first).
    std::unique_ptr<engine::runtime::decoded_tail> tail_;
    std::unique_ptr<embedded_gateway> gateway_;
    std::unique_ptr<projections::queue_views> views_;
    std::unique_ptr<rebuilder> rebuilder_; // of the views, stats and loyalty: stopped before they and the engine go
    std::unique_ptr<http::live_hub> hub_;
    std::unique_ptr<auth::authenticator> auth_;
    http::metrics metrics_;
    std::unique_ptr<http::services> ports_;
    std::unique_ptr<http::server> server_;
};

} // namespace salonq::api
