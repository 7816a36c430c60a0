#pragma once

// The embedded engine's single writer (private to engine/runtime: embedded_engine starts them).

#include "engine/logging/logger.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/runtime/stored.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace salonq::engine::runtime {

struct partition_offsets {
    std::int64_t next_command = 0;
    std::int64_t next_event = 0;
};

// What the engine's workers share, owned by the engine: the store, the options, every partition's offsets (each
// worker touches only its own) and the counters.
struct worker_shared {
    store::rocks_store& db;
    engine_options const& options;
    std::int32_t partitions = 0;
    std::vector<partition_offsets>& offsets;
    std::atomic<std::uint64_t>& committed_commands;
    std::atomic<std::uint64_t>& committed_batches;
    std::atomic<std::uint64_t>& committed_bytes;
};

// One single writer: owns the partitions p with p % workers == index, their offsets and the cached states of their
// salons. Each batch's commands, events, dedupe entries and offsets go to RocksDB in one WriteBatch (fsynced in sync
// mode) before any outcome is told; the salon states are a checkpoint of that log instead (docs/design.md,
// "Checkpointed states"): a sweep hands a share of the changed salons to each batch, and the batch that ends it
// writes the events offsets as of the batch that began it. The cache is always exact: after a failed write the
// salons the batch changed are dropped and folded again from the log when next needed. Runs on its own thread; the
// queue and the checkpoint requests are the only shared parts.
class engine_worker {
public:
    engine_worker(worker_shared const& shared, std::int32_t index, state_cache states);
    ~engine_worker(); // decides what was queued, writes a last checkpoint, then ends the thread

    engine_worker(engine_worker const&) = delete;
    engine_worker& operator=(engine_worker const&) = delete;

    struct pending {
        command cmd;
        completion done;
    };
    void enqueue(pending p);
    // Writes every changed state of the worker's partitions and their events offsets now (after the batch under
    // way, or the next one); returns once written. Never on the worker's own thread (it would wait for itself).
    [[nodiscard]] std::expected<void, error> checkpoint();
    // True on the worker's thread: in a completion or on_committed.
    [[nodiscard]] bool on_its_thread() const noexcept;

private:
    using clock = checkpoint_sweep::clock;

    // What deciding a batch left: one result per command, the salons it changed, each partition's offsets before it.
    struct decided_batch {
        std::vector<std::expected<outcome, error>> results;
        std::unordered_set<std::string> dirty;
        std::unordered_map<std::int32_t, partition_offsets> before;
        std::uint64_t count = 0;
    };

    void run();
    static void answer(std::vector<std::promise<std::expected<void, error>>>& asked,
                       std::expected<void, error> const& written);
    [[nodiscard]] std::optional<clock::time_point> idle_due() const;
    void process(std::vector<pending>& batch);
    [[nodiscard]] decided_batch decide(std::vector<pending>& batch, store::write_batch& wb);
    [[nodiscard]] std::expected<std::optional<outcome>, error> previous(command const& c, std::string const& dkey);
    [[nodiscard]] std::expected<salon_state*, error> state_of(salon_id const& id);
    // A stale salon whose state could not be folded again, and why.
    struct unfolded {
        std::string salon;
        std::string why;
    };
    // Folds the stale ones among `salons` again; the first that could not be (each such stays changed).
    [[nodiscard]] std::optional<unfolded> load_all(std::vector<std::string> const& salons);
    void warn_offsets_held(unfolded const& missed);
    // Returns how many salons the share held.
    std::size_t put_share(store::write_batch& wb, std::unordered_set<std::string> const& dirty,
                          std::size_t most = SIZE_MAX);
    void put_states(store::write_batch& wb, std::vector<std::string> const& salons) const;
    void put_offsets(store::write_batch& wb, std::map<std::int32_t, std::int64_t> const& ends) const;
    [[nodiscard]] std::map<std::int32_t, std::int64_t> events_ends() const;
    [[nodiscard]] std::expected<void, error> write(store::write_batch& wb);
    void forget(decided_batch const& d);
    void report_committed(std::vector<std::expected<outcome, error>> const& results) const;
    [[nodiscard]] std::expected<void, error> write_checkpoint();
    void write_idle_share();

    worker_shared shared_;
    std::int32_t index_;
    state_cache states_;
    // Salons dropped from the cache after a failed write: the store's state may be older than the log, so they are
    // folded again from it (current_state) when next needed.
    std::unordered_set<std::string> stale_;
    checkpoint_sweep sweep_;
    std::map<std::int32_t, std::int64_t> sweep_ends_; // the events offsets as of the batch that began the sweep
    std::optional<unfolded> sweep_missed_;            // a salon of the sweep so far that could not be written
    clock::time_point retry_idle_{};                  // an idle checkpoint that failed is tried again from then
    std::uint64_t writes_ = 0;                        // batch writes tried (for inject_write_failure_every)
    std::optional<clock::time_point> warned_;         // when offsets last were held back and that was said
    logging::logger log_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<pending> queue_;
    std::vector<std::promise<std::expected<void, error>>> asked_; // checkpoint() calls waiting
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace salonq::engine::runtime
