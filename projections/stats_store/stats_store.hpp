#pragma once

#include "engine/domain/events.hpp"
#include "engine/log/log.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"
#include "engine/runtime/rebuild.hpp"
#include "projections/queue/join_board.hpp"
#include "projections/stats/summary.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace salonq::projections::stats_store {

// A salon's figures for the local days [first, last]: every day of the range in order (zeros for a day with
// nothing), its staff members' days and its services' days (only where there is something), computed by
// stats::summarize_* exactly as `salonq replay --report` computes them.
struct salon_stats {
    engine::salon_id salon;
    std::string timezone;
    engine::local_day first = 0;
    engine::local_day last = 0;
    std::vector<stats::day_summary> days;
    std::vector<stats::staff_summary> staff;
    std::vector<stats::service_summary> services;
};

// Where a salon's calendar stands: its zone and the first local day the store holds anything of it (none: nothing
// yet), for a reader choosing days relative to the salon's today.
struct salon_calendar {
    std::string timezone;
    std::optional<engine::local_day> first_day;
};

// The stats projection: every salon's history (projections::stats::salon_history), folded from the events log and
// kept in a RocksDB directory of its own (<data>/stats) with the log offsets it reflects. What can still change
// stays in memory: each salon's fold state, its open visits, its days' counts. A visit that ended is written once,
// under the local day it joined (and the day it started, if another), and leaves memory; a read of a range of days
// reads those visits back and summarizes them with what is in memory, so a read costs the visits of its days, never
// the salon's whole history. Design note: docs/stats.md.
//
// Stored at a checkpoint: a salon's ended visits, changed days' counts and fold state together, in one WriteBatch.
// catch_up writes a checkpoint every 5 seconds a share at a time: the salons changed by then, handed out by the
// clock over the next 2.5 seconds (engine::runtime::checkpoint_sweep), the last share with every partition's next
// offset as of the sweep's start; checkpoint() writes every changed salon and the offsets at once. A restart resumes
// from the stored offsets and skips the events at or below a salon's stored seq: nothing counted twice, nothing
// lost.
//
// Rebuilt beside itself like the queue views (engine::runtime::rebuild, docs/projections.md): a fresh store folds
// the log into the next generation and swaps contents with this one, so the consumer and the readers keep it.
//
// Thread rules: catch_up and checkpoint are for one thread (the consumer); a rebuild's fold_until and swap_with may
// run beside it (a record is folded under the mutex only if it is at the next offset). stats(), history() and
// calendar() may be called from any thread at any time; they take the store's mutex only for what is in memory, and
// hold the generation lock shared while they read, so a swap waits for them and they see one store whole.
class stats_store final : public engine::runtime::rebuildable {
public:
    // The checkpoints' interval (5 seconds unless a test wants its sweeps quicker) and budget (checkpoint_sweep; 0: the
    // clock alone, for a test of the sweeps).
    [[nodiscard]] static std::expected<std::unique_ptr<stats_store>, std::string>
    open(std::filesystem::path const& dir, std::int32_t partition_count,
         std::chrono::milliseconds checkpoint_interval = std::chrono::seconds{5},
         std::size_t checkpoint_bytes_per_event = engine::runtime::checkpoint_sweep::default_bytes_per_event);
    ~stats_store() override;
    stats_store(stats_store const&) = delete;
    stats_store& operator=(stats_store const&) = delete;

    // Reads every partition from next_offset(p) to its end and folds the events in; true if anything was read.
    // Writes the share of a checkpoint that is due (see above).
    [[nodiscard]] std::expected<bool, std::string> catch_up(engine::log::reader& events);
    [[nodiscard]] std::expected<void, std::string> checkpoint();
    // Takes the join-time estimates the queue views of the same process post to `board` instead of running the
    // predictor for them again (join_estimates.hpp). Before the first catch_up; it stays with this store through a
    // swap_with (a rebuild's fresh store works every estimate out).
    void take_joins_from(std::shared_ptr<join_board> board);
    // catch_up folds no further than `limit(p)` in each partition p (unset: to its end). In one process, the queue
    // views' next offsets: a walk-in's join-time estimate is then on the board before the stats read its event, where
    // they raced the views and often worked the estimate out again. The stats then stop wherever the views stop (a
    // store that keeps failing). A rebuild's fold_until is not limited. Before the first catch_up; stays with this
    // store through a swap_with, like the board.
    void fold_behind(std::function<engine::offset_t(engine::partition_id)> limit);

    // The salon's local days [first, last]; none for a salon the log has not registered. Reads RocksDB. The shifts
    // still open count as worked until the salon's latest event (salon_history::close_open_shifts).
    [[nodiscard]] std::expected<std::optional<salon_stats>, std::string>
    stats(engine::salon_id const& salon, engine::local_day first, engine::local_day last) const;

    // The salon's history for the local days [first, last], the ground stats() summarizes: the visits that joined or
    // started on those days, the open ones, those days' counts; none for an unknown salon. Reads RocksDB. What the
    // staffing advice learns from (projections::staffing::demand_of over the same days).
    [[nodiscard]] std::expected<std::optional<stats::salon_history>, std::string>
    history(engine::salon_id const& salon, engine::local_day first, engine::local_day last) const;
    [[nodiscard]] std::optional<salon_calendar> calendar(engine::salon_id const& salon) const;

    [[nodiscard]] engine::offset_t next_offset(engine::partition_id p) const;

    // The rebuild's side (engine::runtime::rebuildable): swap_with holds the consumer's folds and the readers while
    // the fresh store reaches this one's offsets; persist checkpoints and flushes, waiting for it.
    [[nodiscard]] std::vector<engine::offset_t> next_offsets() const override;
    [[nodiscard]] std::expected<void, std::string> fold_until(engine::log::reader& events,
                                                              std::span<engine::offset_t const> until,
                                                              engine::runtime::fold_progress const& progress) override;
    [[nodiscard]] std::expected<void, std::string> swap_with(engine::runtime::rebuildable& fresh,
                                                             engine::runtime::reach_offsets const& reach) override;
    [[nodiscard]] std::expected<void, std::string> persist() override;

private:
    struct impl;
    explicit stats_store(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::projections::stats_store
