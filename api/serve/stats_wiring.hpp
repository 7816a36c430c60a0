#pragma once

#include "api/serve/staffing_advisor.hpp"
#include "engine/log/log.hpp"
#include "projections/stats_store/stats_consumer.hpp"
#include "projections/stats_store/stats_store.hpp"

#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace salonq::api {

// The stats projection in embedded `salonq serve`: its store in the current generation of <data>/stats
// (engine::runtime::generations: <data>/stats.N after a rebuild), caught up with the events log at start, then kept up
// by a consumer that wake() wakes (the views' feed after each round of applies, in embedded mode). Lives as long as
// the stack (wake() does nothing until start()); stop() must come before the engine closes its log and before
// whatever `behind` reads goes
// (and answers what the staffing advisor still has waiting). wake() may be called from any thread, also during stop().
class stats_wiring {
public:
    // `base`: <data>/stats; the generation it names is opened and the others removed. `joins`: where the queue
    // views of this process post their join-time estimates (projections/queue/join_board.hpp); `behind`, if set,
    // how far the stats may read in each partition (stats_store::fold_behind).
    [[nodiscard]] std::expected<void, std::string>
    start(std::filesystem::path const& base, engine::log::reader& events, std::int32_t partition_count,
          std::function<engine::instant()> clock, std::shared_ptr<projections::join_board> joins,
          std::function<engine::offset_t(engine::partition_id)> behind = {});
    void wake();
    void stop();
    // The store, for the HTTP handler; null before start().
    [[nodiscard]] projections::stats_store::stats_store* store() noexcept { return store_.get(); }
    // The staffing advisor over the store (GET .../staffing); null before start() and after stop().
    [[nodiscard]] staffing_advisor* staffing() noexcept { return advisor_.get(); }

private:
    std::mutex mutex_; // wake() against start() and stop()
    std::unique_ptr<projections::stats_store::stats_store> store_;
    std::unique_ptr<projections::stats_store::stats_consumer> consumer_;
    std::unique_ptr<staffing_advisor> advisor_; // over store_: made after it, stopped before it
};

} // namespace salonq::api
