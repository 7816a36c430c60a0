#pragma once

// The Kafka engine worker's state and the parts of its work, defined in worker.cpp (the loop and the
// hand-off to the committer), detail/decide.cpp and detail/rebalance.cpp. Private to the Kafka worker.

#include "engine/codec/errc.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/kafka/detail/batch.hpp"
#include "engine/kafka/detail/batch_pipeline.hpp"
#include "engine/kafka/detail/committer.hpp"
#include "engine/kafka/detail/handles.hpp"
#include "engine/kafka/detail/ownership.hpp"
#include "engine/kafka/detail/pending_outcomes.hpp"
#include "engine/kafka/detail/runtime_shared.hpp"
#include "engine/kafka/detail/worker_log.hpp"
#include "engine/kafka/worker.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace salonq::engine::store {
class rocks_store;
}

namespace salonq::engine::kafka {
namespace detail {

using steady = std::chrono::steady_clock;

inline std::int64_t us_since(steady::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t).count();
}

} // namespace detail

// The deciding half of the worker runs on the thread that calls run(): it owns the consumer and the state cache,
// and decides each command as it arrives into the open batch. The committing half (kafka_committer) runs batch
// n's transaction meanwhile. The open batch closes once commit_interval has passed since its first command and
// the committer is free, or when it is full: under load batches grow while the previous one commits.
struct worker::impl {
    // The members below that are built from the options (the log, the sweep, the pipeline) come after them.
    explicit impl(worker_options o) : options(std::move(o)) {}

    worker_options options;
    worker_stats stats;
    std::atomic<bool> stopping{false};
    bool const trace = std::getenv("SALONQ_TRACE_TXN") != nullptr; // per-transaction timing on stderr
    logging::logger log = detail::worker_log(options.instance);
    std::unique_ptr<store::rocks_store> db;
    std::int32_t partitions = 0;
    kafka::detail::handle_ptr consumer;
    std::unique_ptr<detail::kafka_committer> committer;
    detail::partition_ownership ownership; // the partitions decided, and what the rebalance callbacks leave
    state_cache states;                    // salons of owned partitions: as committed, plus the batches in flight
    detail::pending_outcomes pending;      // decided, not yet in RocksDB: a repeat is a duplicate
    runtime::checkpoint_sweep sweep{options.state_checkpoint_interval}; // which salon states go with which batch
    // The open batch and the one in flight (the pipeline works on the three members above).
    detail::batch_pipeline pipeline{{options.commit_interval, options.max_batch}, states, pending, sweep};
    // While idle, the committer is asked this often for the snapshot rounds due by age.
    static constexpr std::chrono::seconds round_check{1};
    detail::steady::time_point last_round_request = detail::steady::now();
    codec::json_writer writer;

    // ---- rebalancing -----------------------------------------------------------------------------------------

    // Everything decided so far is committed before partitions move: the batch in flight, then the open one (a
    // revoked partition is still ours until the callback returns). If that fails, it is abandoned.
    void settle_before_rebalance(bool lost);

    static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                             void* opaque);

    // KIP-447: a read_committed consumer fetches committed offsets "stable": while the previous owner of a
    // partition still has a transaction open with offsets for it (a zombie that sent them before it was fenced),
    // the fetch waits until that transaction commits or aborts. Done before folding, so that a transaction which
    // commits late is in the fold rather than after it.
    void wait_for_stable_offsets(rd_kafka_t* rk, rd_kafka_topic_partition_list_t const* parts);

    [[nodiscard]] std::expected<void, error> take_over(std::int32_t p);

    void hand_over(std::int32_t p);
    // Drops partition p's salons from the state cache (RocksDB keeps them).
    void forget_cached(std::int32_t p);

    // ---- deciding ----------------------------------------------------------------------------------------------

    std::string invalid_record(rd_kafka_message_t const* m, codec::error const& e, instant at);

    // Decides one command message into the open batch, on top of the states as the batches before left them.
    // The message counts in the batch (its offset is committed with it) only once it has an outcome.
    [[nodiscard]] std::expected<void, error> decide(rd_kafka_message_t const* m);

    // A local store that cannot be read will not be readable by deciding the batch again: the worker stops.
    static error local_store_error(runtime::error const& e);

    [[nodiscard]] std::expected<void, error> decide_into(detail::kafka_batch& batch, rd_kafka_message_t const* m);

    // ---- handing batches to the committer ------------------------------------------------------------------------

    // Closes the open batch (its states as they stand now, the group generation it was decided in) and hands it
    // to the committer. Precondition: the committer is idle.
    [[nodiscard]] std::expected<void, error> submit_open();

    // Logs how the batch just closed came out (SALONQ_TRACE_TXN).
    void trace_closed(detail::kafka_batch const& batch, detail::steady::time_point opened_at) const;

    // The dedupe keys of batches RocksDB now holds need not be remembered here any more.
    void forget_stored();

    // Commits the batch in flight and then the open one, and waits until RocksDB holds them and every state
    // changed (a checkpoint); returns the first failure.
    [[nodiscard]] std::expected<void, error> flush();

    // ---- giving batches up -----------------------------------------------------------------------------------------

    void report_abandoned(error const& e) const;

    // Puts the consumer back at the committed offsets of the owned partitions.
    [[nodiscard]] std::expected<void, error> rewind();

    void rewind_until_done();

    // After a failure: a fatal one (fenced, the local store) stops the worker; otherwise (a broker restart, a
    // lost coordinator, a rebalance that fenced the generation) the batches not committed are given up and the
    // same commands are decided again from the committed offsets.
    [[nodiscard]] std::expected<void, error> recover_from(error const& failure);

    // ---- the loop ------------------------------------------------------------------------------------------------

    int poll_timeout_ms() const;

    [[nodiscard]] std::expected<void, error> step();
};

} // namespace salonq::engine::kafka
