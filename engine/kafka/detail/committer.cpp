#include "engine/kafka/detail/committer.hpp"

#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/detail/recovery.hpp"
#include "engine/kafka/detail/runtime_shared.hpp"
#include "engine/kafka/detail/snapshot.hpp"
#include "engine/kafka/detail/transaction.hpp"
#include "engine/log/keys.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/store/rocks_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <pthread.h>

namespace salonq::engine::kafka::detail {
namespace {

using namespace kafka::detail;
namespace lk = kafka;
using steady = std::chrono::steady_clock;

double ms_between(steady::time_point a, steady::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

std::int64_t us_between(steady::time_point a, steady::time_point b) {
    return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

// The dedupe entry of a decided command once its batch committed (nullopt: it appended nothing that got an offset).
std::optional<dedupe_entry> committed_entry(kafka_batch const& batch, std::vector<std::int64_t> const& offsets,
                                            decided_command const& d) {
    if (d.count == 0 || offsets[d.first_record] < 0) {
        return std::nullopt;
    }
    return dedupe_entry{d.received_at, partition_id{batch.records[d.first_record].partition},
                        offset_t{offsets[d.first_record]}, d.count};
}

// A checkpoint's part of a RocksDB write: salon states and the events end offsets of the partitions they reflect.
void put_checkpoint(store::write_batch& wb, std::vector<std::pair<std::string, std::string>> const& states,
                    std::map<std::int32_t, std::int64_t> const& ends) {
    for (auto const& [salon, state] : states) {
        wb.put(store::family::state, salon, state);
    }
    for (auto const& [p, end] : ends) {
        std::string v;
        log::put_u64(v, static_cast<std::uint64_t>(end));
        wb.put(store::family::meta, events_offset_key(p), v);
    }
}

} // namespace

kafka_committer::kafka_committer(committer_options options, store::rocks_store& db, worker_stats& stats)
    : options_(std::move(options)), db_(db), stats_(stats) {}

std::expected<std::unique_ptr<kafka_committer>, error>
kafka_committer::open(committer_options options, store::rocks_store& db, worker_stats& stats) {
    std::unique_ptr<kafka_committer> self{new kafka_committer(std::move(options), db, stats)};
    auto producer = lk::make_client(
        self->options_.kafka, RD_KAFKA_PRODUCER, transactional_properties(self->options_.transactional_id),
        [](rd_kafka_conf_t* conf, void* opaque) {
            rd_kafka_conf_set_dr_msg_cb(conf, &kafka_committer::on_delivery);
            rd_kafka_conf_set_opaque(conf, opaque);
        },
        self.get());
    if (!producer) {
        return std::unexpected(producer.error());
    }
    self->producer_ = std::move(*producer);
    if (error_ptr e{rd_kafka_init_transactions(self->producer_.get(), 30000)}) {
        return std::unexpected(
            error{errc::retryable, fmt::format("init transactions: {}", rd_kafka_error_string(e.get()))});
    }
    self->committing_ = std::thread([s = self.get()] {
        pthread_setname_np(pthread_self(), "salonq-commit");
        s->commit_loop();
    });
    self->storing_ = std::thread([s = self.get()] {
        pthread_setname_np(pthread_self(), "salonq-store");
        s->store_loop();
    });
    return self;
}

kafka_committer::~kafka_committer() {
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    changed_.notify_all();
    if (committing_.joinable()) {
        committing_.join();
    }
    if (storing_.joinable()) {
        storing_.join();
    }
}

std::uint64_t kafka_committer::submit(kafka_batch batch) {
    std::uint64_t number = 0;
    {
        std::lock_guard lock{mutex_};
        batch_ = std::move(batch);
        number = ++batch_number_;
    }
    changed_.notify_all();
    return number;
}

bool kafka_committer::busy() const {
    std::lock_guard lock{mutex_};
    return batch_.has_value();
}

std::optional<std::expected<void, error>> kafka_committer::finished() {
    std::lock_guard lock{mutex_};
    if (store_error_) {
        return std::unexpected(*store_error_);
    }
    if (batch_) {
        return std::nullopt;
    }
    return std::exchange(result_, std::nullopt);
}

std::expected<void, error> kafka_committer::wait() {
    std::unique_lock lock{mutex_};
    changed_.wait(lock, [&] { return !batch_.has_value() || store_error_.has_value(); });
    if (store_error_) {
        return std::unexpected(*store_error_);
    }
    auto result = std::exchange(result_, std::nullopt);
    return result ? std::move(*result) : std::expected<void, error>{};
}

void kafka_committer::wait_stored(std::unique_lock<std::mutex>& lock) {
    changed_.wait(lock, [&] { return to_store_.empty() || store_error_.has_value(); });
}

void kafka_committer::request_round(group_metadata_ptr group) {
    {
        std::lock_guard lock{mutex_};
        if (batch_ || round_asked_ || round_running_ || options_.snapshot_every == 0) {
            return;
        }
        round_asked_ = std::move(group);
    }
    changed_.notify_all();
}

std::expected<void, error> kafka_committer::drain() {
    auto result = wait();
    std::unique_lock lock{mutex_};
    // Partitions move only between rounds (only the deciding thread, which drains, asks for one).
    changed_.wait(lock, [&] { return !round_asked_ && !round_running_; });
    if (result && result_) { // the round failed for good
        result = std::move(*result_);
        result_.reset();
    }
    wait_stored(lock);
    if (store_error_) {
        return std::unexpected(*store_error_);
    }
    return result;
}

std::expected<void, error> kafka_committer::checkpoint(std::vector<std::pair<std::string, std::string>> const& states) {
    std::unique_lock lock{mutex_};
    wait_stored(lock);
    if (store_error_) {
        return std::unexpected(*store_error_);
    }
    auto wb = db_.make_batch();
    put_checkpoint(wb, states, committed_end);
    if (auto written = db_.write(wb, false); !written) {
        return std::unexpected(error{errc::local_store, "checkpoint: " + written.error().message});
    }
    for (auto const& [p, end] : committed_end) {
        checkpoint_end_[p] = end;
    }
    unflushed_ = true;
    return {};
}

void kafka_committer::adopt(std::int32_t partition, std::int64_t events_end, std::vector<chunk_ref> chunks) {
    std::lock_guard lock{mutex_};
    unflushed_ = true; // the take-over's fold was just written
    committed_end[partition] = events_end;
    since_snapshot[partition] = 0;
    last_round[partition] = steady::now();
    checkpoint_end_[partition] = events_end;
    round_state_end_[partition] = events_end;
    // The first round's chunk starts here: the commandIds before it are in earlier chunks, or (between the previous
    // owner's last round and this offset) read back from the events by whoever restores from these snapshots.
    pending_chunk[partition] = dedupe_chunk{events_end, events_end, {}};
    chunks_written[partition] = std::move(chunks);
}

void kafka_committer::release(std::int32_t partition) {
    std::lock_guard lock{mutex_};
    committed_end.erase(partition);
    since_snapshot.erase(partition);
    last_round.erase(partition);
    checkpoint_end_.erase(partition);
    round_state_end_.erase(partition);
    commands_committed.erase(partition);
    sweep_ends_.erase(partition);
    pending_chunk.erase(partition);
    chunks_written.erase(partition);
}

void kafka_committer::commit_loop() {
    std::unique_lock lock{mutex_};
    for (;;) {
        changed_.wait(lock, [&] { return batch_.has_value() || round_asked_.has_value() || stopping_; });
        if (!batch_ && round_asked_ && !stopping_) {
            auto group = std::move(*round_asked_);
            round_asked_.reset();
            round_running_ = true;
            lock.unlock();
            auto round = snapshot_if_due(group.get());
            lock.lock();
            round_running_ = false;
            if (!round && round.error().code != errc::retryable) {
                result_ = round; // fenced or fatal: the worker stops
            } else if (!round && options_.trace) {
                log_.warn("snapshot round given up, retried later: {}", round.error().message);
            }
            changed_.notify_all();
            continue;
        }
        round_asked_.reset(); // a batch first: its rounds follow it
        if (!batch_) {
            return;
        }
        auto const number = batch_number_;
        auto const broken = store_error_;
        lock.unlock();
        // After a RocksDB failure nothing more is committed: the worker stops and a restart refolds.
        auto result = broken ? std::expected<void, error>{std::unexpected(*broken)} : commit(*batch_, number);
        if (result) {
            // The batch has committed whatever becomes of the round: only an error that stops the worker counts.
            if (auto round = snapshot_if_due(); !round && round.error().code != errc::retryable) {
                result = round;
            } else if (!round && options_.trace) {
                log_.warn("snapshot round given up, retried later: {}", round.error().message);
            }
        }
        lock.lock();
        batch_.reset();
        result_ = std::move(result);
        changed_.notify_all();
    }
}

void kafka_committer::store_loop() {
    std::unique_lock lock{mutex_};
    auto flush_if_due = [&](bool idle) {
        if (unflushed_ && (idle || steady::now() >= flushed_at_ + flush_every)) {
            lock.unlock();
            (void)db_.flush(); // a failed flush only leaves more to fold after a crash
            lock.lock();
            unflushed_ = false;
            flushed_at_ = steady::now();
        }
    };
    for (;;) {
        auto const woken =
            changed_.wait_for(lock, flush_every, [&] { return !to_store_.empty() || (stopping_ && !batch_); });
        if (!woken) {
            flush_if_due(true); // idle for a while: what the last batches wrote goes to disk
            continue;
        }
        if (to_store_.empty()) {
            return;
        }
        if (store_error_) {
            to_store_.clear(); // a later batch's offsets must not reach RocksDB without this one's states
            changed_.notify_all();
            continue;
        }
        auto& job = to_store_.front();
        lock.unlock();
        auto const started = steady::now();
        auto stored = store(job);
        stats_.store_us.fetch_add(us_between(started, steady::now()), std::memory_order_relaxed);
        lock.lock();
        if (!stored) {
            store_error_ = stored.error();
        } else {
            stored_.store(job.number, std::memory_order_release);
            unflushed_ = true;
        }
        to_store_.pop_front();
        changed_.notify_all();
        flush_if_due(false);
    }
}

void kafka_committer::on_delivery(rd_kafka_t*, rd_kafka_message_t const* m, void* opaque) {
    auto* self = static_cast<kafka_committer*>(opaque);
    auto const index = reinterpret_cast<std::uintptr_t>(m->_private);
    if (index < self->offsets_.size()) {
        self->offsets_[index] = m->err == RD_KAFKA_RESP_ERR_NO_ERROR ? m->offset : -1;
    }
}

std::expected<void, error> kafka_committer::abort_open(std::string reason) {
    return abort_transaction(producer_.get(), std::move(reason), stats_.aborts);
}

std::expected<void, error> kafka_committer::commit_open(std::string_view what) {
    return commit_transaction(producer_.get(), what, stats_.aborts);
}

std::expected<void, error> kafka_committer::fail(std::string_view what, rd_kafka_error_t const* cause) {
    return transaction_failed(producer_.get(), what, cause, stats_.aborts);
}

std::expected<void, error> kafka_committer::produce_all(kafka_batch const& batch) {
    offsets_.assign(batch.records.size(), -1);
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
        auto const& r = batch.records[i];
        if (auto ok = produce_record(producer_.get(), lk::events_topic, r.partition, batch.key(r), batch.value(r),
                                     // NOLINTNEXTLINE(performance-no-int-to-ptr): an index as librdkafka's opaque
                                     r.type, reinterpret_cast<void*>(i));
            !ok) {
            return ok;
        }
    }
    return {};
}

std::expected<void, error> kafka_committer::commit(kafka_batch& batch, std::uint64_t number) {
    auto const started = steady::now();
    if (error_ptr e{rd_kafka_begin_transaction(producer_.get())}) {
        // Only a producer left in a bad state refuses to begin: stop; a restart (same instance) cleans it up.
        return std::unexpected(
            error{errc::fenced, fmt::format("begin transaction: {}", rd_kafka_error_string(e.get()))});
    }
    // The consumed offsets go first: right after a commit the coordinator answers CONCURRENT_TRANSACTIONS until
    // the previous markers are written, and librdkafka retries AddOffsetsToTxn after retry.backoff.ms (2 ms here)
    // but AddPartitionsToTxn after a fixed 20 ms. Once the offsets are in, the transaction is open on the
    // coordinator and the partitions of the records are added at the first attempt. Offsets and records still
    // commit (or abort) together. Measured on a local broker: a 1,000-record transaction 28.7 -> 9.0 ms.
    partition_list_ptr offsets{rd_kafka_topic_partition_list_new(static_cast<int>(batch.next_offsets.size()))};
    for (auto const& [p, o] : batch.next_offsets) {
        rd_kafka_topic_partition_list_add(offsets.get(), lk::commands_topic, p)->offset = o;
    }
    if (error_ptr e{rd_kafka_send_offsets_to_transaction(producer_.get(), offsets.get(), batch.group.get(), -1)}) {
        return fail("send offsets to transaction", e.get());
    }
    auto const offsets_sent_at = steady::now();
    if (auto produced = produce_all(batch); !produced) {
        return produced.error().code == errc::retryable ? abort_open(produced.error().message) : produced;
    }
    auto const produced_at = steady::now();
    if (options_.inject_abort_every > 0 && number % options_.inject_abort_every == 0) {
        rd_kafka_flush(producer_.get(), 30000); // the records reach the log, as they would before a failure
        return abort_open(fmt::format("injected abort of transaction {}", number));
    }
    if (auto committed = commit_open("commit transaction"); !committed) {
        return committed;
    }
    auto const committed_at = steady::now();
    stats_.commit_us.fetch_add(us_between(started, committed_at), std::memory_order_relaxed);
    stats_.transactions.fetch_add(1, std::memory_order_relaxed);

    // Committed: the cache of fold(events) may move on. RocksDB is written by the storing thread while the next
    // transaction runs; at most two committed batches wait for it.
    store_job job{number, std::move(batch), offsets_, {}, {}};
    std::map<std::int32_t, std::uint64_t> appended;
    for (std::size_t i = 0; i < job.offsets.size(); ++i) {
        if (job.offsets[i] >= 0) {
            auto const p = job.batch.records[i].partition;
            job.events_end[p] = std::max(job.events_end[p], job.offsets[i] + 1);
            ++appended[p];
        }
    }
    auto const commands = job.batch.commands;
    auto const records = job.batch.records.size();
    // The commandIds for the partitions' next dedupe chunks, gathered before taking the lock.
    std::vector<std::pair<std::string, dedupe_entry>> for_chunks;
    if (options_.snapshot_every > 0) {
        for_chunks.reserve(job.batch.decided.size());
        for (auto const& d : job.batch.decided) {
            if (auto entry = committed_entry(job.batch, job.offsets, d)) {
                for_chunks.emplace_back(d.dedupe_key, *entry);
            }
        }
    }
    std::unique_lock lock{mutex_};
    for (auto const& [p, end] : job.events_end) {
        committed_end[p] = end;
        since_snapshot[p] += appended[p];
        if (auto it = pending_chunk.find(p); it != pending_chunk.end()) {
            it->second.to = end;
        }
    }
    for (auto const& [p, next] : job.batch.next_offsets) {
        commands_committed[p] = next;
    }
    for (auto& [key, entry] : for_chunks) {
        if (auto it = pending_chunk.find(entry.partition.value()); it != pending_chunk.end()) {
            it->second.entries.emplace_back(std::move(key), entry);
        }
    }
    if (job.batch.checkpoint_begin) {
        sweep_ends_ = committed_end;
    }
    if (job.batch.checkpoint) {
        job.checkpoint_ends = sweep_ends_;
        for (auto const& [p, end] : sweep_ends_) {
            if (pending_chunk.contains(p)) { // still owned
                checkpoint_end_[p] = end;
            }
        }
    }
    changed_.wait(lock, [&] { return to_store_.size() < 2 || store_error_.has_value(); });
    to_store_.push_back(std::move(job));
    changed_.notify_all();
    lock.unlock();
    if (options_.trace) {
        log_.info("txn at {:.1f} ms: {} commands, {} records; send_offsets {:.1f} ms, produce {:.1f} ms, commit "
                  "{:.1f} ms",
                  std::chrono::duration<double, std::milli>(started.time_since_epoch()).count(), commands, records,
                  ms_between(started, offsets_sent_at), ms_between(offsets_sent_at, produced_at),
                  ms_between(produced_at, committed_at));
    }
    return {};
}

// The committed batch into RocksDB: its dedupe entries (with the offsets the delivery reports gave) and, when it is
// a checkpoint, the states changed since the last one and every partition's events offset, in one WriteBatch.
std::expected<void, error> kafka_committer::store(store_job const& job) {
    auto wb = db_.make_batch();
    for (auto const& d : job.batch.decided) {
        if (auto entry = committed_entry(job.batch, job.offsets, d)) {
            wb.put(store::family::dedupe, d.dedupe_key, entry->encode());
        }
    }
    put_checkpoint(wb, job.batch.states, job.checkpoint_ends);
    if (auto written = db_.write(wb, false); !written) {
        // Committed in Kafka but not cached: stop; a restart folds the events again.
        return std::unexpected(error{errc::local_store, "state write after commit: " + written.error().message});
    }
    return {};
}

} // namespace salonq::engine::kafka::detail
