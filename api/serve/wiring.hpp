#pragma once

// The parts both serve stacks (embedded_stack, kafka_stack) wire the same way: the live hub over the views, the
// authenticator, the handlers' ports and the gauges every mode has. Only the engine side differs between them.

#include "api/auth/authenticator.hpp"
#include "api/gateway/command_gateway.hpp"
#include "api/http/live/live_hub.hpp"
#include "api/http/metrics.hpp"
#include "api/http/options.hpp"
#include "api/http/services.hpp"
#include "api/serve/rebuilder.hpp"
#include "engine/runtime/rebuild.hpp"
#include "projections/store/queue_views.hpp"

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace salonq::api {

// A hub whose new subscribers get the salon's current view first.
[[nodiscard]] std::unique_ptr<http::live_hub> make_live_hub(projections::queue_views const& views);

// The authenticator of <data>/auth (the keyring at `keyring` if given), asking `shared` too (Kafka mode).
[[nodiscard]] std::expected<std::unique_ptr<auth::authenticator>, std::string>
open_authenticator(std::filesystem::path const& data, std::optional<std::filesystem::path> const& keyring,
                   auth::revocation_list* shared = nullptr);

// The queue views in the current generation of <data>/views (engine::runtime::generations), the others (what an
// earlier rebuild left behind) removed; with their outcome index when index_outcomes (Kafka mode's api role).
[[nodiscard]] std::expected<std::unique_ptr<projections::queue_views>, std::string>
open_views(std::filesystem::path const& data, std::int32_t partition_count, bool index_outcomes);

// The stores both stacks rebuild while they serve (POST /v1/admin/projections/{name}/rebuild).
struct rebuildable_stores {
    engine::runtime::rebuildable& views;
    engine::runtime::rebuildable& stats;
    engine::runtime::rebuildable& loyalty;
};
// A rebuilder of the views, the stats and the loyalty ledger in their generations under <data>, reading through
// `events`; index_outcomes as the views were opened with.
[[nodiscard]] std::unique_ptr<rebuilder> make_rebuilder(rebuilder::events_source events,
                                                        std::filesystem::path const& data, std::int32_t partition_count,
                                                        bool index_outcomes, rebuildable_stores stores);

// What the handlers use; the references must outlive it.
[[nodiscard]] std::unique_ptr<http::services> make_services(http::server_options const& options,
                                                            command_gateway& commands, auth::authenticator& auth,
                                                            http::metrics& metrics, http::live_hub& hub,
                                                            projections::queue_views& views);

// salonq_live_connections.
void add_live_gauge(http::metrics& metrics, http::live_hub const& hub);

} // namespace salonq::api
