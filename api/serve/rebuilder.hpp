#pragma once

#include "api/http/projection_admin.hpp"
#include "api/serve/rebuild_targets.hpp"
#include "engine/log/log.hpp"
#include "engine/logging/logger.hpp"
#include "engine/runtime/generations.hpp"
#include "engine/runtime/rebuild.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace salonq::api {

// Rebuilds the serving process's projections without downtime (engine::runtime::rebuild), each on a thread of its
// own and one rebuild of a projection at a time, when an admin asks (POST /v1/admin/projections/{name}/rebuild).
// Keeps where the last rebuild of each is for GET /v1/admin/projections and logs its progress every few seconds.
// The projections are added before the server serves; their stores, the reader and the generations must outlive
// it. Destroying it stops every rebuild under way (the stores serve on as they were).
class rebuilder final : public http::projection_admin {
public:
    explicit rebuilder(engine::log::reader& events) : events_(events) {}
    ~rebuilder() override;
    rebuilder(rebuilder const&) = delete;
    rebuilder& operator=(rebuilder const&) = delete;

    // `live` is the target's store serving now, opened from gens.current(). Before the server serves.
    void add(rebuild_target target, engine::runtime::rebuildable& live, engine::runtime::generations gens);

    [[nodiscard]] start_result start_rebuild(std::string const& name) override;
    [[nodiscard]] std::vector<http::rebuild_status> status() const override;

private:
    struct projection {
        rebuild_target target;
        engine::runtime::rebuildable& live;
        engine::runtime::generations gens;
        http::rebuild_status status; // under mutex_
        std::chrono::steady_clock::time_point logged{};
        std::thread worker;
    };
    void run(projection& p);
    [[nodiscard]] bool record(projection& p, engine::runtime::rebuild_progress const& progress); // false: stopping

    engine::log::reader& events_;
    logging::logger log_{"projections"};
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<projection>> projections_; // the list is fixed once serving
};

} // namespace salonq::api
