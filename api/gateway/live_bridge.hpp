#pragma once

// The one way the views' changes reach live streams, in both modes: each change's new snapshot becomes a frame of
// the salon's channel in the hub. The hub must outlive the subscription (unsubscribe first).

#include "api/http/live/live_hub.hpp"
#include "projections/store/queue_views.hpp"

namespace salonq::api {

[[nodiscard]] projections::subscription_id publish_changes(projections::queue_views& views, http::live_hub& hub);

} // namespace salonq::api
