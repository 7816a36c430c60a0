#pragma once

#include "engine/domain/events.hpp"
#include "engine/log/log.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"
#include "engine/runtime/outcome.hpp"
#include "engine/runtime/rebuild.hpp"
#include "projections/queue/join_board.hpp"
#include "projections/queue/queue_view.hpp"
#include "projections/queue/wait_estimator.hpp"
#include "projections/store/errc.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace salonq::projections {

// One salon's queue view at one seq. Immutable once published: readers share it. Its served JSON (encode_view,
// view_form::served) is made by the first reader that asks and kept, so a change costs at most one encoding,
// however many requests and screens read it, and none for a salon nobody reads before its next change (at a
// thousand salons, most of them at any moment).
class snapshot {
public:
    snapshot(queue_view v, engine::seq_t s) : view(std::move(v)), seq(s) {}
    queue_view view;
    engine::seq_t seq;
    // The served JSON; thread-safe.
    [[nodiscard]] std::string const& json() const;

private:
    mutable std::once_flag encoded_;
    mutable std::string json_;
};

// A salon whose view stopped at a gap in its seq: the events after it are not applied, and /readyz should fail.
// Kept in the store, so a restart still reports it. Repair: rebuild the projection (remove its directory; the
// next start catches up from offset 0).
struct broken_salon {
    engine::salon_id salon;
    engine::seq_t last_applied; // the view's seq
    engine::seq_t seen;         // the seq that came instead of last_applied + 1
    engine::partition_id partition;
    engine::offset_t offset; // where that event is in the events log
    friend bool operator==(broken_salon const&, broken_salon const&) = default;
};

struct projection_health {
    // Counted since open.
    std::uint64_t duplicates = 0;     // salon events skipped because their seq was already applied
    std::uint64_t gaps = 0;           // salon events not applied because of a gap, or because their salon is broken
    std::uint64_t undecodable = 0;    // records of the events log that did not decode (skipped; their salon's next
                                      // event then shows the gap)
    std::vector<broken_salon> broken; // every broken salon, stored ones included
    // The last checkpoint's error, until one succeeds: the views in memory are current, but a restart would catch up
    // from an older point, and a store that stopped taking writes (a full disk) should not go unnoticed.
    std::optional<std::string> checkpoint_failure;
    [[nodiscard]] bool ok() const noexcept { return broken.empty(); }
};

// What one apply (or catch-up step) changed for one salon, for live streams. `events` are the salon's events
// applied, in seq order, ending at `seq`; `rejections` the recorded refusals of its commands in the same entries
// (a read-your-writes waiter needs those too). `now` is the salon's snapshot after them; null only for
// rejections of a salon that has no view (a command for an unknown salon). The spans are valid only during the
// call; `now` may be kept.
struct change {
    engine::salon_id salon;
    engine::seq_t seq;
    std::shared_ptr<snapshot const> now;
    std::span<engine::event const> events;
    std::span<engine::rejected_command const> rejections;
};
using subscriber = std::function<void(change const&)>;
// Told the log offsets read past after each chunk of a catch-up (for a progress display); false stops the
// catch-up there (errc::cancelled).
using catch_up_progress = engine::runtime::fold_progress;
using subscription_id = std::uint64_t;

// The live queue views of every salon, fed from the events log and stored with the offsets they reflect in a
// RocksDB directory of their own (not the engine's), together with each salon's events by seq (for paging
// through a salon's history and its priority audit). A restart loads the stored views and resumes from the stored
// offsets; it does not replay history.
//
// Thread rules: apply and catch_up may be called from any thread; calls for one partition are serialized (a
// partition mutex), calls for different partitions run in parallel (the estimator is called from each). view(),
// health() and next_offset() are cheap, never touch RocksDB and may be called from any number of threads at any
// time. Subscribers are called after each apply with no lock held, on the applying thread, one change at a time
// per partition and in seq order per salon; a callback may call view(), subscribe() or even apply(), should be
// quick (hand the change to a queue), and an exception it throws is logged and ignored. After unsubscribe()
// returns, a delivery already under way may still call the callback once.
class queue_views final : public engine::runtime::rebuildable {
public:
    // Opens (or creates) the store at dir for an events log of partition_count partitions; a directory made for
    // another count is errc::misconfigured. With index_outcomes (Kafka mode's api role) every apply also records
    // each command's outcome by salonId and commandId, in the same WriteBatch (see outcome_of). Checkpoints every
    // checkpoint_interval at most, once the events since pay for them (checkpoint_sweep's budget; 0: the clock alone).
    [[nodiscard]] static std::expected<std::unique_ptr<queue_views>, error>
    open(std::filesystem::path const& dir, std::int32_t partition_count, std::unique_ptr<wait_estimator> estimator,
         bool index_outcomes = false, std::chrono::milliseconds checkpoint_interval = std::chrono::seconds{5},
         std::size_t checkpoint_bytes_per_event = engine::runtime::checkpoint_sweep::default_bytes_per_event);
    ~queue_views() override;
    queue_views(queue_views const&) = delete;
    queue_views& operator=(queue_views const&) = delete;

    // Applies entries of events-log partition p found at the consecutive offsets first_offset, first_offset + 1,
    // ... Entries before next_offset(p) are skipped (idempotent); a first_offset beyond it is errc::offset_ahead
    // and applies nothing (entries were missed: catch_up from a reader, then apply again). A rejected_command takes
    // an offset and changes no view. A salon event whose seq is not the view's seq + 1 is not applied: a duplicate
    // is skipped, a gap marks the salon broken (see health()); both are counted and logged. The salons' events (for
    // salon_events) are written at once; the changed views and the new next offset by the next checkpoint.
    [[nodiscard]] std::expected<void, error> apply(engine::partition_id p, engine::offset_t first_offset,
                                                   std::span<engine::log_entry const> entries);
    // Writes the views changed since the last checkpoint together with their partitions' offsets, at once (the
    // destructor does too). A thread of the views writes a checkpoint every `checkpoint_interval` (never the applying
    // thread: encoding a thousand long lines takes a while) a share at a time: the salons changed by then, handed out
    // by the clock over half the interval, each view stored with the offset it reflects, and the partitions' offsets
    // of the sweep's beginning with its last share. A crash loses at most what came after the last offsets stored,
    // which catch_up folds again from the log, skipping what a stored view already holds (not a duplicate).
    [[nodiscard]] std::expected<void, error> checkpoint();
    // Reads every partition from next_offset(p) to its end offset as of the call, decodes and applies. Offsets
    // the reader skips (Kafka's transaction markers) are passed over. Used at start-up and after offset_ahead.
    [[nodiscard]] std::expected<void, error> catch_up(engine::log::reader& events);
    // The same up to `until` (an offset per partition; or each partition's end, if sooner), telling `progress`.
    [[nodiscard]] std::expected<void, error>
    catch_up(engine::log::reader& events, std::span<engine::offset_t const> until, catch_up_progress const& progress);
    // A rebuild (engine::runtime::rebuild) through the same locks as apply: fold_until is catch_up; swap_with
    // reaches the offsets of these views with every apply of them held, checkpoints `fresh` (queue_views made like
    // these) and swaps the two objects' contents (store, views, estimator, health) in one step, then hands every
    // salon's new view to the subscribers (a change with no events: a rebuilt view may differ at the same seq);
    // `fresh` is left with the old contents. persist: a checkpoint, then every family flushed to disk and waited
    // for (the store has no WAL). Not while another swap of these views runs.
    [[nodiscard]] std::vector<engine::offset_t> next_offsets() const override;
    [[nodiscard]] std::expected<void, std::string> fold_until(engine::log::reader& events,
                                                              std::span<engine::offset_t const> until,
                                                              engine::runtime::fold_progress const& progress) override;
    [[nodiscard]] std::expected<void, std::string> swap_with(engine::runtime::rebuildable& fresh,
                                                             engine::runtime::reach_offsets const& reach) override;
    [[nodiscard]] std::expected<void, std::string> persist() override;

    // The salon's latest snapshot, or null if it has no view.
    [[nodiscard]] std::shared_ptr<snapshot const> view(engine::salon_id const& salon) const;
    [[nodiscard]] projection_health health() const;
    // The salon's events with seq > after, in seq order, at most `limit`, as JSON (the log's form); only its
    // priority starts (the audit of priority_started events) with priority_only. Reads RocksDB.
    [[nodiscard]] std::expected<std::vector<std::string>, error> salon_events(engine::salon_id const& salon,
                                                                              engine::seq_t after, std::size_t limit,
                                                                              bool priority_only = false) const;
    // The outcome of the salon's command as applied (its events or its rejection, where they are in the log); none if
    // no entry of it has been applied, or if the command was received longer than the engine's dedupe window before
    // `now` (the engine decides that commandId anew). Only with index_outcomes. Reads RocksDB; any thread. Written
    // before the change that carries the command's entries is delivered to subscribers, so a subscriber finds it.
    [[nodiscard]] std::expected<std::optional<engine::runtime::outcome>, error>
    outcome_of(engine::salon_id const& salon, engine::command_id const& command, engine::instant now) const;
    // What the walk-in of `ticket` was told at join time (the estimated wait on its first response): from the view
    // while it has the ticket, then from the store (kept like the salon's events); none if it was told
    // no estimate or is not known. Any thread.
    [[nodiscard]] std::expected<std::optional<told_wait>, error> told_at_join(engine::salon_id const& salon,
                                                                              engine::ticket_id ticket) const;
    // How many views are kept to build busy salons' next views in (memory: at most one per salon changed since the
    // checkpoint before the last).
    [[nodiscard]] std::size_t spare_views() const;
    // The first offset of partition p not yet applied.
    [[nodiscard]] engine::offset_t next_offset(engine::partition_id p) const;
    [[nodiscard]] std::int32_t partition_count() const noexcept;
    [[nodiscard]] bool indexes_outcomes() const noexcept; // opened with index_outcomes

    subscription_id subscribe(subscriber callback);
    // Posts each ticket_issued's join-time estimate to `board` from now on, for the stats' fold of the same process
    // (projections/queue/join_board.hpp; it runs observed_estimator, so these views must too). Before the first
    // apply: the board is read by applies without a lock. It stays with these views through a swap_with.
    void post_joins_to(std::shared_ptr<join_board> board);
    void unsubscribe(subscription_id id);

private:
    struct impl;
    void republish();
    explicit queue_views(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::projections
