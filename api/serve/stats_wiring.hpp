#pragma once

#include "engine/log/log.hpp"
#include "projections/stats_store/stats_consumer.hpp"
#include "projections/stats_store/stats_store.hpp"

#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace salonq::api {

// The stats projection in embedded `salonq serve`: its store at <data>/stats, caught up with the events log at
// start, then kept up by a consumer that the engine's commits wake. Lives as long as the stack and is made before
// the engine (whose on_committed hook calls wake(), which does nothing until start()); stop() must come before the
// engine closes its log. wake() may be called from any thread, also during stop().
class stats_wiring {
public:
    [[nodiscard]] std::expected<void, std::string> start(std::filesystem::path const& dir, engine::log::reader& events,
                                                         std::int32_t partition_count);
    void wake();
    void stop();
    // The store, for the HTTP handler; null before start().
    [[nodiscard]] projections::stats_store::stats_store* store() noexcept { return store_.get(); }

private:
    std::mutex mutex_; // wake() against start() and stop()
    std::unique_ptr<projections::stats_store::stats_store> store_;
    std::unique_ptr<projections::stats_store::stats_consumer> consumer_;
};

} // namespace salonq::api
