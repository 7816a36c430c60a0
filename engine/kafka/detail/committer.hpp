#pragma once

// The committing half of the Kafka worker. One thread owns the transactional producer: for each decided batch it
// runs one transaction (the outcome records, the consumed offsets with the group metadata, commit), and between
// batches it writes due snapshot rounds. A second thread then writes each committed batch to RocksDB (its dedupe
// entries; for a checkpoint batch also the states changed since the last one and every partition's events offset),
// in order, while the next transaction runs. Snapshot rounds: detail/round.cpp. The
// deciding half (worker) decides batch n+1 meanwhile. Private to the Kafka worker (engine/kafka/detail).

#include "engine/kafka/detail/batch.hpp"
#include "engine/kafka/detail/snapshot.hpp"
#include "engine/kafka/detail/transaction.hpp"
#include "engine/kafka/detail/worker_log.hpp"
#include "engine/kafka/worker.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace salonq::engine::store {
class rocks_store;
}

namespace salonq::engine::kafka::detail {

struct committer_options {
    kafka::settings kafka;
    std::string transactional_id;
    std::int32_t partitions = 0; // of salonq.commands and salonq.events
    std::uint64_t snapshot_every = 0;
    std::chrono::seconds snapshot_max_age{3600};
    bool trace = false;
    std::uint64_t inject_abort_every = 0;         // see worker_options
    std::uint64_t inject_round_failure_every = 0; // see worker_options
    std::chrono::hours dedupe_retention{24 * 7};
    std::function<instant()> clock;
    std::string instance; // for the log
};

class kafka_committer {
public:
    // Creates the producer and initialises its transactions (fencing any earlier producer with the same id).
    [[nodiscard]] static std::expected<std::unique_ptr<kafka_committer>, error>
    open(committer_options options, store::rocks_store& db, worker_stats& stats);
    ~kafka_committer(); // finishes the batch in hand and the RocksDB writes queued
    kafka_committer(kafka_committer const&) = delete;
    kafka_committer& operator=(kafka_committer const&) = delete;

    // Hands a batch to the committing thread and returns its number (1, 2, ...). Precondition: idle, and the
    // previous batch's result taken (wait() returned).
    std::uint64_t submit(kafka_batch batch);
    [[nodiscard]] bool busy() const;
    // The result of the transaction handed over last, once, when it has finished; nullopt while it runs (or if
    // already taken). A failed transaction has been aborted: nothing of it is visible and RocksDB is unchanged;
    // an error other than errc::retryable (fenced, fatal, RocksDB failed after a commit) means the worker must stop.
    [[nodiscard]] std::optional<std::expected<void, error>> finished();
    // Waits until the transaction in hand has finished and returns its result (success if none to take).
    [[nodiscard]] std::expected<void, error> wait();
    // wait(), and then until RocksDB holds every committed batch and the snapshot round asked for (if any) is done.
    [[nodiscard]] std::expected<void, error> drain();

    // Writes a checkpoint now: these encoded states and the committed events offset of every adopted partition, in
    // one RocksDB write. Precondition: drained (nothing in flight), so the states are exactly the committed fold.
    [[nodiscard]] std::expected<void, error> checkpoint(std::vector<std::pair<std::string, std::string>> const& states);
    // The number of the last batch whose dedupe entries RocksDB holds (batches are stored in order).
    [[nodiscard]] std::uint64_t stored_through() const noexcept { return stored_.load(std::memory_order_acquire); }

    // The partitions whose snapshot rounds this thread writes, with the events end offset each starts from and the
    // dedupe chunks known to be in salonq.snapshots for it. Called while drained (from the rebalance callback,
    // after drain()).
    void adopt(std::int32_t partition, std::int64_t events_end, std::vector<chunk_ref> chunks);
    void release(std::int32_t partition);
    // While no batch is in hand or open: writes the rounds that are due by age (a partition whose last round lacks
    // events got old). The group metadata fences the round as a batch is fenced (its transaction re-commits the
    // committed offsets): a worker the group has moved on from cannot overwrite the new owner's snapshots. A fatal
    // failure is the result the next finished() or wait() returns.
    void request_round(kafka::detail::group_metadata_ptr group);

private:
    // A committed batch on its way to RocksDB, with the offsets its records got.
    struct store_job {
        std::uint64_t number = 0;
        kafka_batch batch;
        std::vector<std::int64_t> offsets;
        std::map<std::int32_t, std::int64_t> events_end;      // of the partitions the batch appended to
        std::map<std::int32_t, std::int64_t> checkpoint_ends; // a checkpoint: of every adopted partition
    };

    kafka_committer(committer_options options, store::rocks_store& db, worker_stats& stats);
    void commit_loop();
    void store_loop();
    [[nodiscard]] std::expected<void, error> commit(kafka_batch& batch, std::uint64_t number);
    [[nodiscard]] std::expected<void, error> store(store_job const& job);
    [[nodiscard]] std::expected<void, error> produce_all(kafka_batch const& batch);
    // Aborts the open transaction: errc::retryable (the batch is decided again) once aborted; a transaction that
    // cannot be aborted leaves the producer unusable, so the worker stops (its restart aborts it).
    [[nodiscard]] std::expected<void, error> abort_open(std::string reason);
    // Commits the open transaction, retrying a retriable failure; otherwise as fail().
    [[nodiscard]] std::expected<void, error> commit_open(std::string_view what);
    // A failed transactional call: a fatal error stops the worker, anything else aborts the transaction.
    [[nodiscard]] std::expected<void, error> fail(std::string_view what, rd_kafka_error_t const* cause);
    [[nodiscard]] std::expected<void, error> snapshot_if_due(rd_kafka_consumer_group_metadata_t const* fence = nullptr);
    // A round in three steps (round.cpp): what it writes, its transaction, then the bookkeeping after it.
    struct round_plan {
        std::vector<std::int32_t> partitions;
        std::map<std::int32_t, std::int64_t> ends;          // committed: where each round's dedupe chunk ends
        std::map<std::int32_t, std::int64_t> state_ends;    // the last checkpoint's: what RocksDB's states reflect
        std::map<std::int32_t, dedupe_chunk> chunks;        // what each partition's round adds
        std::map<std::int32_t, std::vector<chunk_ref>> old; // and the chunks it tombstones
        partition_list_ptr fenced{rd_kafka_topic_partition_list_new(1)}; // the committed offsets it commits again
        instant now{};
    };
    [[nodiscard]] std::expected<std::optional<round_plan>, error>
    plan_round(rd_kafka_consumer_group_metadata_t const* fence);
    [[nodiscard]] std::expected<std::uint64_t, error>
    produce_round(round_plan& r, rd_kafka_consumer_group_metadata_t const* fence,
                  std::map<std::int32_t, std::vector<chunk_ref>>& added);
    void record_round(round_plan& r, std::map<std::int32_t, std::vector<chunk_ref>> const& added);
    void log_round(round_plan const& r, std::uint64_t snapshots,
                   std::map<std::int32_t, std::vector<chunk_ref>> const& added) const;
    // A round that failed but does not stop the worker: logged and counted, it is retried later.
    void report_round_failure(round_plan const& r, error const& e);
    // The snapshot of `salon`, or the injected failure of the round it is in.
    [[nodiscard]] std::expected<void, error> produce_snapshot(round_plan& r, std::int32_t p, std::string_view salon,
                                                              std::string_view state, bool injected);
    void wait_stored(std::unique_lock<std::mutex>& lock);
    static void on_delivery(rd_kafka_t*, rd_kafka_message_t const* m, void* opaque);

    committer_options options_;
    logging::logger log_ = worker_log(options_.instance);
    store::rocks_store& db_;
    worker_stats& stats_;
    kafka::detail::handle_ptr producer_;
    std::vector<std::int64_t> offsets_; // delivered offset of each record of the batch in hand (-1: not delivered)
    std::map<std::int32_t, std::int64_t> committed_end;   // events end offset of each owned partition
    std::map<std::int32_t, std::int64_t> sweep_ends_;     // committed_end after the last checkpoint_begin batch
    std::map<std::int32_t, std::uint64_t> since_snapshot; // events committed since the partition's last round
    std::map<std::int32_t, std::chrono::steady_clock::time_point> last_round; // (or the take-over)
    // A round holds the states of the last checkpoint, which lags the committed end: each partition's events end of
    // the last checkpoint (a sweep's, or checkpoint()'s at idle, drain and stop), and of the states its last round
    // holds (at a take-over: the take-over's end, as if a round held it).
    std::map<std::int32_t, std::int64_t> checkpoint_end_;
    std::map<std::int32_t, std::int64_t> round_state_end_;
    std::map<std::int32_t, std::int64_t> commands_committed; // next commands offset committed, since the take-over
    std::map<std::int32_t, dedupe_chunk> pending_chunk;      // commandIds committed since the last round (or adoption)
    std::map<std::int32_t, std::vector<chunk_ref>> chunks_written; // to tombstone once past the retention
    std::uint64_t rounds_produced_ = 0; // rounds whose transaction began (for inject_round_failure_every)

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<kafka_batch> batch_; // in hand while set
    std::uint64_t batch_number_ = 0;
    std::optional<std::expected<void, error>> result_;
    std::optional<kafka::detail::group_metadata_ptr> round_asked_; // request_round(), not yet started
    bool round_running_ = false;
    std::deque<store_job> to_store_;   // committed, not yet in RocksDB (the front one may be being written)
    std::optional<error> store_error_; // RocksDB failed after a commit: sticky, the worker must stop
    std::atomic<std::uint64_t> stored_{0};
    bool stopping_ = false;
    // RocksDB has no WAL here: the storing thread flushes it at least this often while there are writes, so a
    // kill -9 takes back at most that much (the events are folded again), not everything since the last full
    // memtable.
    static constexpr std::chrono::seconds flush_every{30};
    bool unflushed_ = false;
    std::chrono::steady_clock::time_point flushed_at_ = std::chrono::steady_clock::now();
    std::thread committing_;
    std::thread storing_;
};

} // namespace salonq::engine::kafka::detail
