#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace salonq::engine::runtime {

// Which salon states go to RocksDB with which batch: the worker's checkpoints, spread over batches. Salons change
// in the state cache as batches are decided (`changed`); once `interval` has passed since the last checkpoint, a
// sweep begins with the next batch: it takes every changed salon so far and hands a share of them to each batch
// (at least min_step, enough to end within about `batches` batches), so the deciding thread never encodes every
// salon of a busy worker at once. The batch that ends the sweep writes the offsets of the batch that began it:
// every salon changed before then is in the sweep, or written. A failed batch puts its share back and gives the
// sweep up; a drain writes all changed salons at once (`take_all`). The embedded engine's idle worker goes on with a
// sweep between batches, a share at a time (next_batch for a batch of no commands). Plain bookkeeping on the deciding
// thread: no I/O, no locks. The Kafka worker and the embedded engine's workers each keep one (docs/design.md,
// "Checkpointed states").
class checkpoint_sweep {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::size_t batches = 16;
    static constexpr std::size_t min_step = 64;

    explicit checkpoint_sweep(clock::duration interval, clock::time_point now = clock::now())
        : interval_(interval), last_(now) {}

    // A salon's cached state differs from RocksDB's now.
    void changed(std::string const& salon) { changed_.insert(salon); }

    // What the batch being closed writes: the salons to encode (their states as they stand now), and whether it
    // begins and/or ends a checkpoint.
    struct share {
        std::vector<std::string> salons;
        bool begins = false;
        bool ends = false;
    };
    [[nodiscard]] share next_batch(clock::time_point now);

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

private:
    void give_up();

    clock::duration interval_;
    clock::time_point last_;
    std::unordered_set<std::string> changed_;
    std::unordered_set<std::string> in_flight_; // handed out with the batch the committer has
    std::vector<std::string> sweep_;            // still to hand out
    std::size_t step_ = 0;
    bool sweeping_ = false;
    bool behind_ = false; // a batch was submitted since the last checkpoint: RocksDB's offsets are behind
};

} // namespace salonq::engine::runtime
