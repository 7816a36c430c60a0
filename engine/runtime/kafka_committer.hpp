#pragma once

// The committing half of the Kafka worker: a thread that owns the transactional producer. For each decided batch
// it runs one transaction (the outcome records, the consumed offsets with the group metadata, commit) and then
// writes RocksDB; between batches it writes due snapshot rounds. The deciding half (kafka_engine) decides batch
// n+1 while this thread commits batch n. Private to the Kafka worker (engine/runtime/kafka_*).

#include "engine/runtime/kafka_batch.hpp"
#include "engine/runtime/kafka_engine.hpp"

#include <condition_variable>
#include <cstdint>
#include <expected>
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

namespace salonq::engine::runtime::kafka_detail {

struct committer_options {
    log::kafka::settings kafka;
    std::string transactional_id;
    std::int32_t partitions = 0; // of salonq.commands and salonq.events
    std::uint64_t snapshot_every = 0;
    bool trace = false;
};

class kafka_committer {
public:
    // Creates the producer and initialises its transactions (fencing any earlier producer with the same id).
    [[nodiscard]] static std::expected<std::unique_ptr<kafka_committer>, error>
    open(committer_options options, store::rocks_store& db, kafka_engine_stats& stats);
    ~kafka_committer(); // finishes the batch in hand
    kafka_committer(kafka_committer const&) = delete;
    kafka_committer& operator=(kafka_committer const&) = delete;

    // Hands a batch to the committing thread. Precondition: !busy().
    void submit(kafka_batch batch);
    [[nodiscard]] bool busy() const;
    // The result of the batch handed over last, once, when it has finished; nullopt while it runs (or if already
    // taken). A failed transaction has been aborted: nothing of it is visible and RocksDB is unchanged; an error
    // other than errc::storage (fenced, fatal, RocksDB failed after a commit) means the worker must stop.
    [[nodiscard]] std::optional<std::expected<void, error>> finished();
    // Waits until the batch in hand has finished and returns its result (success if there was none to take).
    [[nodiscard]] std::expected<void, error> wait();

    // The partitions whose snapshot rounds this thread writes, with the events end offset each starts from.
    // Called while idle (from the rebalance callback, after wait()).
    void adopt(std::int32_t partition, std::int64_t events_end);
    void release(std::int32_t partition);

private:
    kafka_committer(committer_options options, store::rocks_store& db, kafka_engine_stats& stats);
    void loop();
    std::expected<void, error> commit(kafka_batch const& batch);
    std::expected<void, error> store_committed(kafka_batch const& batch);
    std::expected<void, error> produce_all(kafka_batch const& batch);
    std::expected<void, error> abort(std::string_view what, rd_kafka_error_t const* cause);
    std::expected<void, error> snapshot_if_due();
    static void on_delivery(rd_kafka_t*, rd_kafka_message_t const* m, void* opaque);

    committer_options options_;
    store::rocks_store& db_;
    kafka_engine_stats& stats_;
    log::kafka::detail::handle_ptr producer_;
    std::vector<std::int64_t> offsets_; // delivered offset of each record of the batch in hand (-1: not delivered)
    std::map<std::int32_t, std::int64_t> committed_end;   // events end offset of each owned partition
    std::map<std::int32_t, std::uint64_t> since_snapshot; // events since the partition's last snapshot round

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<kafka_batch> batch_; // in hand while set
    std::optional<std::expected<void, error>> result_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace salonq::engine::runtime::kafka_detail
