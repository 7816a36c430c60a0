#pragma once

#include "engine/kafka/settings.hpp"
#include "engine/runtime/outcome.hpp"

#include <atomic>
#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace salonq::engine::kafka {

struct worker_options {
    kafka::settings kafka;
    std::filesystem::path data; // this worker's RocksDB (state cache, dedupe index, events offsets)
    std::string group = "salonq-engine";
    std::string instance = "engine-1"; // unique per running worker: its transactional.id is derived from it
    // A batch collects commands for at least this long after its first one; it closes once the transaction
    // before it has committed (so under load batches grow while the previous one commits), or when it is full.
    std::chrono::milliseconds commit_interval{5};
    std::size_t max_batch = 10'000;
    std::chrono::milliseconds session_timeout{6000};
    // After this many events in a partition, the worker writes a snapshot round of all the partition's salons to
    // salonq.snapshots (0: never). A worker without local state restores from the latest round.
    std::uint64_t snapshot_every = 10'000;
    // A partition with events that its last round does not hold gets a round once that round is this old, busy or
    // idle, so that a restore from snapshots folds about this much history at most (plus a checkpoint interval; a
    // worker that stops writes no final round). An events retention must cover it plus the dedupe window.
    std::chrono::seconds snapshot_max_age{3600};
    // How long a commandId is remembered: a repeat within this window appends nothing. Snapshot rounds carry the
    // commandIds decided since the previous round (dedupe chunks), so a worker restoring from snapshots knows them
    // for the whole window too.
    std::chrono::hours dedupe_retention{24 * 7};
    // How often the salon states in RocksDB catch up with the committed batches (a checkpoint: the states changed
    // since the last one and every partition's events offset, in one write). Between checkpoints RocksDB takes
    // only the dedupe entries; a salon busy in many batches is encoded and written once per checkpoint. RocksDB has
    // no WAL here: a worker restarting after a crash folds the events since its last flushed checkpoint (flushes
    // happen at least every 30 s while there are writes).
    std::chrono::milliseconds state_checkpoint_interval{1000};
    // Restore from salonq.snapshots when there is no local state (off: fold the partition from its start).
    bool restore_from_snapshots = true;
    // Fault injection for tests: abort every Nth transaction after its records are produced, as a broker failure
    // would (0: never). The batch, and the one decided on top of it, are decided again.
    std::uint64_t inject_abort_every = 0;
    // Fault injection for tests: every Nth snapshot round cannot produce its first snapshot, as a failed produce
    // would (0: never). The round is given up and retried later.
    std::uint64_t inject_round_failure_every = 0;
    std::function<instant()> clock;
};

struct worker_stats {
    std::atomic<std::uint64_t> commands{0};     // command messages decided (incl. rejections and invalid ones)
    std::atomic<std::uint64_t> duplicates{0};   // repeated commandIds: nothing appended
    std::atomic<std::uint64_t> transactions{0}; // committed
    std::atomic<std::uint64_t> aborts{0};
    std::atomic<std::uint64_t> recovered_events{0};      // events folded while taking over partitions
    std::atomic<std::int64_t> recovery_us{0};            // time spent taking over partitions (folding their events)
    std::atomic<std::uint64_t> snapshots_written{0};     // salon snapshots produced to salonq.snapshots
    std::atomic<std::uint64_t> snapshot_failures{0};     // snapshot rounds given up and retried (not written)
    std::atomic<std::uint64_t> snapshots_restored{0};    // salon states taken from salonq.snapshots on take-over
    std::atomic<std::uint64_t> dedupe_restored{0};       // commandIds taken from dedupe chunks on take-over
    std::atomic<std::uint64_t> dedupe_events_read{0};    // events read for their commandId only (no chunk covered them)
    std::atomic<std::uint64_t> stale_local_discarded{0}; // partitions whose local state the retention had outrun
    std::atomic<std::int64_t> decide_us{0};              // deciding: decoding, dedupe lookups, decide, encoding
    std::atomic<std::int64_t> commit_us{0};              // transactions: offsets, records and commit
    std::atomic<std::int64_t> store_us{0};               // the RocksDB writes after the commits (their own thread)
    // From the last assignment this worker received until its take-over of those partitions was done and it
    // could decide: the time a new owner adds to a hand-over (failure detection, the session timeout, comes
    // before it; idle time after it is not counted). -1 until measured.
    std::atomic<std::int64_t> last_takeover_us{-1};
};

// One engine worker in Kafka mode: a member of the consumer group on salonq.commands that owns the partitions
// the group gives it and, per batch, runs one Kafka transaction (EOS v2): the events go to the same partition
// number of salonq.events, the consumed offsets go into the transaction with the group metadata, and only
// after the commit are the salon states and events offsets written to RocksDB. On an abort the uncommitted
// states are dropped and the consumer rewinds to the committed offsets; a fenced (zombie) worker stops.
// On assignment the worker loads the partition's states from RocksDB and folds the events after them
// (read_committed) before it decides anything. Deciding, committing and the RocksDB write are a pipeline: the
// thread in run() decides batch n+1 while a committing thread runs batch n's transaction and a storing thread
// writes batch n-1 to RocksDB. Before partitions move, everything decided is committed and stored. run() blocks;
// stop() may be called from any thread.
class worker {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<worker>, error> open(worker_options options);
    ~worker();
    worker(worker const&) = delete;
    worker& operator=(worker const&) = delete;

    // Consumes, decides and commits until stop() or a fatal error (such as being fenced).
    [[nodiscard]] std::expected<void, error> run();
    void stop() noexcept;
    [[nodiscard]] worker_stats const& stats() const noexcept;

private:
    struct impl;
    explicit worker(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::engine::kafka
