#include "api/serve/wiring.hpp"

namespace salonq::api {

engine::instant wall_clock() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::unique_ptr<http::live_hub> make_live_hub(projections::queue_views const& views) {
    return std::make_unique<http::live_hub>([&views](std::string const& salon) -> http::frame_ptr {
        auto v = views.view(engine::salon_id{salon});
        return v ? http::make_frame(v->seq.value(), v->json()) : nullptr;
    });
}

std::expected<std::unique_ptr<auth::authenticator>, std::string>
open_authenticator(std::filesystem::path const& data, std::optional<std::filesystem::path> const& keyring,
                   auth::revocation_list* shared) {
    auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto auth =
        auth::authenticator::open({.data = data, .keyring = keyring, .verify = {}, .shared_revocations = shared}, now);
    if (!auth) {
        return std::unexpected(auth.error().message);
    }
    return std::move(*auth);
}

std::unique_ptr<http::services> make_services(http::server_options const& options, command_gateway& commands,
                                              auth::authenticator& auth, http::metrics& metrics, http::live_hub& hub,
                                              projections::queue_views& views) {
    return std::unique_ptr<http::services>{
        new http::services{// designated initializers: services has no constructor to forward to
                           .options = options,
                           .commands = commands,
                           .auth = auth,
                           .metrics = metrics,
                           .clock = wall_clock,
                           .log = logging::logger{"http"},
                           .live = &hub,
                           .views = &views,
                           .executor = {}}};
}

void add_live_gauge(http::metrics& metrics, http::live_hub const& hub) {
    metrics.gauge("salonq_live_connections", "Open live streams (WebSocket and SSE).",
                  [&hub] { return static_cast<double>(hub.connections()); });
}

} // namespace salonq::api
