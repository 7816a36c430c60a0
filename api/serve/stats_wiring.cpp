#include "api/serve/stats_wiring.hpp"

#include "engine/runtime/generations.hpp"

#include <fmt/format.h>

namespace salonq::api {

std::expected<void, std::string> stats_wiring::start(std::filesystem::path const& base, engine::log::reader& events,
                                                     std::int32_t partition_count,
                                                     std::function<engine::instant()> clock,
                                                     std::shared_ptr<projections::join_board> joins,
                                                     std::function<engine::offset_t(engine::partition_id)> behind) {
    engine::runtime::generations const gens{base};
    auto const dir = gens.current();
    if (!dir) {
        return std::unexpected("the stats: " + dir.error());
    }
    auto store = projections::stats_store::stats_store::open(*dir, partition_count);
    if (!store) {
        return std::unexpected(fmt::format("cannot open the stats in {}: {}", dir->string(), store.error()));
    }
    if (auto removed = gens.remove_others(); !removed) { // what an earlier rebuild left behind
        return std::unexpected("the stats: " + removed.error());
    }
    (*store)->take_joins_from(std::move(joins));
    if (behind) {
        (*store)->fold_behind(std::move(behind));
    }
    // Before serving: the first answers already hold the whole log (a long history is folded once, then stored).
    if (auto caught = (*store)->catch_up(events); !caught) {
        return std::unexpected("the stats could not catch up with the log: " + caught.error());
    }
    std::lock_guard lock{mutex_};
    store_ = std::move(*store);
    consumer_ = std::make_unique<projections::stats_store::stats_consumer>(*store_, events);
    advisor_ = std::make_unique<staffing_advisor>(*store_, std::move(clock));
    return {};
}

void stats_wiring::wake() {
    std::lock_guard lock{mutex_};
    if (consumer_) {
        consumer_->wake();
    }
}

void stats_wiring::stop() {
    std::lock_guard lock{mutex_};
    advisor_.reset();  // answers what still waits
    consumer_.reset(); // its last checkpoint
}

} // namespace salonq::api
