#include "api/gateway/live_bridge.hpp"

namespace salonq::api {

projections::subscription_id publish_changes(projections::queue_views& views, http::live_hub& hub) {
    return views.subscribe([&hub](projections::change const& c) {
        if (c.now) {
            hub.publish(c.salon.value(), c.seq.value(),
                        [&c] { return http::make_frame(c.seq.value(), c.now->json()); });
        }
    });
}

} // namespace salonq::api
