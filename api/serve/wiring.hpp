#pragma once

// The parts both serve stacks (embedded_stack, kafka_stack) wire the same way: the live hub over the views, the
// authenticator, the handlers' ports and the gauges every mode has. Only the engine side differs between them.

#include "api/auth/authenticator.hpp"
#include "api/gateway/command_gateway.hpp"
#include "api/http/live/live_hub.hpp"
#include "api/http/metrics.hpp"
#include "api/http/options.hpp"
#include "api/http/services.hpp"
#include "projections/store/queue_views.hpp"

#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace salonq::api {

// The time now, to the millisecond: the handlers' clock (and the staffing advisor's "today").
[[nodiscard]] engine::instant wall_clock();

// A hub whose new subscribers get the salon's current view first.
[[nodiscard]] std::unique_ptr<http::live_hub> make_live_hub(projections::queue_views const& views);

// The authenticator of <data>/auth (the keyring at `keyring` if given), asking `shared` too (Kafka mode).
[[nodiscard]] std::expected<std::unique_ptr<auth::authenticator>, std::string>
open_authenticator(std::filesystem::path const& data, std::optional<std::filesystem::path> const& keyring,
                   auth::revocation_list* shared = nullptr);

// What the handlers use; the references must outlive it.
[[nodiscard]] std::unique_ptr<http::services> make_services(http::server_options const& options,
                                                            command_gateway& commands, auth::authenticator& auth,
                                                            http::metrics& metrics, http::live_hub& hub,
                                                            projections::queue_views& views);

// salonq_live_connections.
void add_live_gauge(http::metrics& metrics, http::live_hub const& hub);

} // namespace salonq::api
