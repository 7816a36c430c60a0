#pragma once

// Embedded mode's read side: feeds the queue views from the engine's on_committed hook (no polling; the view is
// up to date before a submitter hears its outcome), catches up from the engine's events log at start and whenever
// a batch arrives beyond what the views hold, and passes each change on to the live streams.
// on_committed() runs on the engine workers' threads; attach() once, before the server starts.

#include "api/http/live/live_hub.hpp"
#include "engine/log/log.hpp"
#include "engine/logging/logger.hpp"
#include "engine/runtime/outcome.hpp"
#include "projections/store/queue_views.hpp"

#include <atomic>
#include <expected>
#include <span>

namespace salonq::api {

class embedded_feed {
public:
    embedded_feed() = default;
    ~embedded_feed();
    embedded_feed(embedded_feed const&) = delete;
    embedded_feed& operator=(embedded_feed const&) = delete;

    // The engine's on_committed hook: call it from engine_options (it does nothing until attach()).
    void on_committed(std::span<engine::runtime::outcome const* const> decided);

    // Starts feeding `views` (first catching up from `events`) and publishing their changes to `hub`.
    [[nodiscard]] std::expected<void, projections::error> attach(projections::queue_views& views,
                                                                 engine::log::reader& events, http::live_hub& hub);
    // Stops feeding (before the views or the hub go).
    void detach();

private:
    void apply(projections::queue_views& views, engine::partition_id p, engine::offset_t first,
               std::span<engine::log_entry const> entries);
    void catch_up();

    std::atomic<projections::queue_views*> views_{nullptr};
    engine::log::reader* events_ = nullptr;
    projections::subscription_id subscription_ = 0;
    logging::logger log_{"views"};
};

} // namespace salonq::api
