#pragma once

#include "api/http/projection_admin.hpp"
#include "engine/log/log.hpp"
#include "engine/logging/logger.hpp"
#include "projections/store/generations.hpp"
#include "projections/store/queue_views.hpp"
#include "projections/store/rebuild.hpp"

#include <atomic>
#include <mutex>
#include <thread>

namespace salonq::api {

// Rebuilds the serving process's queue views without downtime (projections::rebuild_views) on a thread of its
// own, one rebuild at a time, when an admin asks (POST /v1/admin/projections/views/rebuild). Keeps where the last
// one is for GET /v1/admin/projections and logs its progress every few seconds. The views, the reader and the
// generations must outlive it; destroying it stops a rebuild under way (the views serve on as they were).
class views_rebuilder final : public http::projection_admin {
public:
    views_rebuilder(projections::queue_views& views, engine::log::reader& events, projections::generations gens);
    ~views_rebuilder() override;
    views_rebuilder(views_rebuilder const&) = delete;
    views_rebuilder& operator=(views_rebuilder const&) = delete;

    [[nodiscard]] start_result start_rebuild(std::string const& name) override;
    [[nodiscard]] std::vector<http::rebuild_status> status() const override;

private:
    void run();
    [[nodiscard]] bool record(projections::rebuild_progress const& p); // false once stopping

    projections::queue_views& views_;
    engine::log::reader& events_;
    projections::generations gens_;
    logging::logger log_{"projections"};
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    http::rebuild_status status_; // under mutex_
    std::chrono::steady_clock::time_point logged_{};
    std::thread worker_;
};

} // namespace salonq::api
