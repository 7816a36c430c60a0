#include "api/serve/wiring.hpp"

#include "api/serve/rebuild_targets.hpp"
#include "projections/queue/observed_estimator.hpp"

#include <fmt/format.h>

namespace salonq::api {

std::unique_ptr<http::live_hub> make_live_hub(projections::queue_views const& views) {
    return std::make_unique<http::live_hub>([&views](std::string const& salon) -> http::frame_ptr {
        auto v = views.view(engine::salon_id{salon});
        return v ? http::make_frame(v->seq.value(), v->json()) : nullptr;
    });
}

std::expected<std::unique_ptr<projections::queue_views>, std::string>
open_views(std::filesystem::path const& data, std::int32_t partition_count, bool index_outcomes) {
    engine::runtime::generations const gens{data / "views"};
    auto const dir = gens.current();
    if (!dir) {
        return std::unexpected("the queue views: " + dir.error());
    }
    auto views = projections::queue_views::open(*dir, partition_count,
                                                std::make_unique<projections::observed_estimator>(), index_outcomes);
    if (!views) {
        return std::unexpected(
            fmt::format("cannot open the queue views in {}: {}", dir->string(), views.error().message));
    }
    if (auto removed = gens.remove_others(); !removed) {
        return std::unexpected("the queue views: " + removed.error());
    }
    return std::move(*views);
}

std::unique_ptr<rebuilder> make_rebuilder(rebuilder::events_source events, std::filesystem::path const& data,
                                          std::int32_t partition_count, bool index_outcomes,
                                          rebuildable_stores stores) {
    auto r = std::make_unique<rebuilder>(std::move(events));
    for (auto& target : rebuild_targets(partition_count, index_outcomes)) {
        auto& live = target.name == "views" ? stores.views : target.name == "stats" ? stores.stats : stores.loyalty;
        auto const name = target.name;
        r->add(std::move(target), live, engine::runtime::generations{data / name});
    }
    return r;
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
                           .clock = engine::wall_now,
                           .log = logging::logger{"http"},
                           .live = &hub,
                           .views = &views}};
}

void add_live_gauge(http::metrics& metrics, http::live_hub const& hub) {
    metrics.gauge("salonq_live_connections", "Open live streams (WebSocket and SSE).",
                  [&hub] { return static_cast<double>(hub.connections()); });
}

} // namespace salonq::api
