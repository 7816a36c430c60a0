#pragma once

#include "api/http/projection_admin.hpp"
#include "api/serve/rebuild_targets.hpp"
#include "engine/log/log.hpp"
#include "engine/logging/logger.hpp"
#include "engine/runtime/generations.hpp"
#include "engine/runtime/rebuild.hpp"

#include <atomic>
#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace salonq::api {

// Rebuilds the serving process's projections without downtime (engine::runtime::rebuild), each on a thread of its
// own and one rebuild of a projection at a time, when an admin asks (POST /v1/admin/projections/{name}/rebuild).
// Keeps where the last rebuild of each is for GET /v1/admin/projections and logs its progress every few seconds.
// Each rebuild reads the events log through a reader from `events`, asked once per rebuild: the process's own
// reader where one may serve several threads (the embedded log), or one of its own (Kafka mode: a
// topic_log_reader serves one thread, and three rebuilds may run together). The projections are added before the
// server serves; their stores, what `events` hands out and the generations must outlive it. Destroying it stops
// every rebuild under way (the stores serve on as they were).
class rebuilder final : public http::projection_admin {
public:
    using events_source = std::function<std::expected<std::shared_ptr<engine::log::reader>, std::string>()>;
    explicit rebuilder(events_source events) : events_(std::move(events)) {}
    // A source that hands out `events` itself (not owned), for a reader that many threads may share.
    [[nodiscard]] static events_source shared(engine::log::reader& events);
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

    events_source events_;
    logging::logger log_{"projections"};
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<projection>> projections_; // the list is fixed once serving
};

} // namespace salonq::api
