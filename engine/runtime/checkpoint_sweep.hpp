#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace salonq::engine::runtime {

// Which salon states go to RocksDB with which batch: the worker's checkpoints, spread over time. Salons change in the
// state cache as batches are decided (`changed`); once `interval` has passed since the last checkpoint, a sweep
// begins with the next batch: it takes every changed salon so far and hands them out by the clock, evenly over half
// the interval (`spread`): each later batch takes the salons whose turn has come since the one before (none are due
// yet at the moment a sweep begins), at most max(batch_step, a sixteenth of the sweep), so a batch after a lull
// catches up over a few batches rather than at once. (Until session 24 every batch took at least 64 and a sweep ended
// within about 16 batches: at a few thousand walk-ins a second, 1,000 salons in ~100 ms, a stretch once a second in
// which every answer waited several milliseconds more; bench/RESULTS.md.) The batch that ends the sweep writes the
// offsets of the batch that began it: every salon changed before then is in the sweep, or written. A failed batch
// puts its share back and gives the sweep up; a drain writes all changed salons at once (`take_all`). An idle
// embedded worker goes on with a sweep between batches, at most idle_step salons a write, when share_due says (the
// Kafka worker, idle, writes the rest with its flush). Plain bookkeeping on the deciding thread: no I/O, no locks.
// The Kafka worker and the embedded engine's workers each keep one (docs/design.md, "Checkpointed states").
//
// A budget ties the checkpoints to the log, not to the clock alone: with `bytes_per_event` set, a sweep begins only
// once the events logged (or folded) since the last one began number at least the bytes that sweep wrote divided by
// it. A checkpoint writes whole salon states, so its cost grows with the lines while the log's grows with the
// traffic: 1,000 salons with ~150 waiting each wrote ~27 MB of states every second against ~8 MB of log, and the
// read side's stores as much again every five, most of serve's CPU at half load (docs/checkpoint-budget.md). With
// the budget a restart folds at most one event per bytes_per_event of the states it loads; the interval stays the
// shortest time between sweeps.
class checkpoint_sweep {
public:
    using clock = std::chrono::steady_clock;
    // The most an idle worker's share holds (a command arriving meanwhile waits for one share at most).
    static constexpr std::size_t idle_step = 16;
    // A batch's share is at most the larger of this and a sixteenth of the sweep (what every batch took before).
    static constexpr std::size_t batch_step = 64;

    // The budget the stores use: an event folded again costs about as much as decoding this many bytes of state.
    static constexpr std::size_t default_bytes_per_event = 256;

    explicit checkpoint_sweep(clock::duration interval, clock::time_point now = clock::now())
        : interval_(interval), spread_(interval / 2), last_(now) {}
    // With a budget (0: none, the clock alone); keep its account with logged() and wrote().
    checkpoint_sweep(clock::duration interval, std::size_t bytes_per_event, clock::time_point now = clock::now())
        : interval_(interval), spread_(interval / 2), last_(now), bytes_per_event_(bytes_per_event) {}

    // Events appended to the log (or folded from it) that the next checkpoint covers.
    void logged(std::size_t events) { logged_ += events; }
    // Bytes a share of the sweep under way wrote.
    void wrote(std::size_t bytes) { written_ += bytes; }
    // Whether the budget lets a sweep begin (the interval aside).
    [[nodiscard]] bool affordable() const noexcept {
        return bytes_per_event_ == 0 || logged_ >= (written_ + bytes_per_event_ - 1) / bytes_per_event_;
    }

    // A salon's cached state differs from RocksDB's now.
    void changed(std::string const& salon) { changed_.insert(salon); }

    // What the batch being closed writes: the salons to encode (their states as they stand now), and whether it
    // begins and/or ends a checkpoint.
    struct share {
        std::vector<std::string> salons;
        bool begins = false;
        bool ends = false;
    };
    // At most `most` salons (an idle worker's share: idle_step), and never more than a batch's cap.
    [[nodiscard]] share next_batch(clock::time_point now, std::size_t most = SIZE_MAX);

    // The batch handed over with the last share committed and was stored: its salons are written.
    void batch_committed() { in_flight_.clear(); }
    // It failed: its salons, and those of the sweep not yet handed out, are changed again; the sweep is given up.
    void batch_failed();

    // A drain: the sweep is given up and every changed salon is to be written now; call checkpointed() once it is.
    [[nodiscard]] std::vector<std::string> take_all();
    void checkpointed(clock::time_point now);

    // An idle worker writes a checkpoint when one is due and RocksDB is behind (changed salons, or offsets moved).
    [[nodiscard]] bool due_when_idle(clock::time_point now) const;
    // When that is (none: RocksDB is not behind), for a worker that sleeps until then.
    [[nodiscard]] std::optional<clock::time_point> idle_due() const;

    // Salons handed over to another worker are not written by this one.
    void forget_if(std::function<bool(std::string const&)> const& handed_over);

    [[nodiscard]] bool sweeping() const noexcept { return sweeping_; }
    // While sweeping: when an idle worker's next share is due (idle_step more salons, or the rest at the spread's end).
    [[nodiscard]] clock::time_point share_due() const;

private:
    void give_up();
    // How many of the sweep's salons are due by `now`: a share of the whole by the time since it began.
    [[nodiscard]] std::size_t due_by(clock::time_point now) const;

    clock::duration interval_;
    clock::duration spread_; // a sweep is handed out evenly over this long
    clock::time_point last_; // when the last checkpoint began (or was written whole)
    std::unordered_set<std::string> changed_;
    std::unordered_set<std::string> in_flight_; // handed out with the batch the committer has
    std::vector<std::string> sweep_;            // still to hand out
    std::size_t total_ = 0;                     // the sweep's salons, handed out or not
    bool sweeping_ = false;
    bool behind_ = false;             // a batch was submitted since the last checkpoint: RocksDB's offsets are behind
    std::size_t bytes_per_event_ = 0; // the budget (0: none)
    std::size_t logged_ = 0;          // events since the last sweep began
    std::size_t written_ = 0;         // bytes the sweeps since then wrote (the one under way, or the last one)
};

} // namespace salonq::engine::runtime
