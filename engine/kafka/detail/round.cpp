// The committer's snapshot rounds: every salon of a due partition, its dedupe chunk and the tombstones of expired
// chunks, in a transaction of their own between batches.

#include "engine/kafka/detail/committer.hpp"

#include "engine/codec/snapshot_codec.hpp"
#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/detail/recovery.hpp"
#include "engine/kafka/detail/snapshot.hpp"
#include "engine/log/keys.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/store/rocks_store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace salonq::engine::kafka::detail {
namespace {

using namespace kafka::detail;
namespace lk = kafka;
using steady = std::chrono::steady_clock;

// The delivery-report opaque of records whose offsets nobody needs (snapshots).
// NOLINTNEXTLINE(performance-no-int-to-ptr): a marker value, never dereferenced
void* const untracked = reinterpret_cast<void*>(UINTPTR_MAX);

// Entries per dedupe chunk record: ~60 bytes each in JSON, well under the broker's 1 MB record limit.
constexpr std::size_t chunk_entries = 2000;

} // namespace

// Writes a snapshot round, in a transaction of its own, for each owned partition that is due: every salon of the
// partition as of the last checkpoint (RocksDB holds its states and the events offset they reflect; the restorer
// folds the rest), with that offset. A failed round is logged as an error, counted (snapshot_failures) and retried
// after the next batch (or the next request_round); only a fatal error stops the worker. Called right after a batch
// commits, or with `fence` from request_round.
std::expected<void, error> kafka_committer::snapshot_if_due(rd_kafka_consumer_group_metadata_t const* fence) {
    if (options_.snapshot_every == 0) {
        return {};
    }
    auto planned = plan_round(fence);
    if (!planned) {
        return std::unexpected(planned.error());
    }
    auto& plan = *planned;
    if (!plan) {
        return {}; // nothing due
    }
    std::map<std::int32_t, std::vector<chunk_ref>> added;
    auto written = produce_round(*plan, fence, added);
    if (!written) {
        if (written.error().code == errc::retryable) {
            report_round_failure(*plan, written.error());
        }
        return std::unexpected(written.error());
    }
    stats_.snapshots_written.fetch_add(*written, std::memory_order_relaxed);
    record_round(*plan, added);
    if (options_.trace) {
        log_round(*plan, *written, added);
    }
    return {};
}

// One line per committed round (with SALONQ_TRACE_TXN): which partitions, how many salon snapshots, dedupe chunks
// and tombstones.
void kafka_committer::log_round(round_plan const& r, std::uint64_t snapshots,
                                std::map<std::int32_t, std::vector<chunk_ref>> const& added) const {
    std::size_t chunks = 0;
    std::size_t tombstones = 0;
    for (auto p : r.partitions) {
        chunks += added.contains(p) ? added.at(p).size() : 0;
        tombstones += r.old.contains(p) ? r.old.at(p).size() : 0;
    }
    log_.info("snapshot round of partition(s) {}: {} salon snapshots, {} dedupe chunks, {} tombstones",
              fmt::join(r.partitions, ","), snapshots, chunks, tombstones);
}

// Which partitions get a round now, and what it writes: each one's committed end (where its dedupe chunk ends),
// the last checkpoint's offset (what RocksDB's states reflect), the chunk and the expired chunks to tombstone.
// None when no partition is due. Under the lock, after the storing thread has caught up.
std::expected<std::optional<kafka_committer::round_plan>, error>
kafka_committer::plan_round(rd_kafka_consumer_group_metadata_t const* fence) {
    round_plan r;
    r.now = options_.clock();
    std::unique_lock lock{mutex_};
    // A round reads every salon state of the worker (one scan), whichever partitions it is for: once one is
    // due, the partitions at least half-way to their next round come along. Evenly loaded partitions then share
    // one scan instead of one each (with 20,000 salons the scans were most of the committing thread at 25,000
    // commands/s). A partition is due by what a round would add: the commandIds committed since its last round
    // (`count`, events), or the states of a checkpoint that has moved past the last round's (`gain`, in offsets, so
    // a transaction's commit marker counts too): a round right after a burst holds the checkpoint before it, and the
    // next comes once a checkpoint holds the burst, not after every batch while the checkpoint lags. By age: any
    // committed event its last round does not hold (the round then holds the latest checkpoint).
    auto const now_steady = steady::now();
    bool due = false;
    for (auto const& [p, count] : since_snapshot) {
        if (!pending_chunk.contains(p)) {
            continue; // adopted partitions only
        }
        auto const gain =
            static_cast<std::uint64_t>(std::max<std::int64_t>(0, checkpoint_end_[p] - round_state_end_[p]));
        auto const adds = std::max(count, gain);
        auto const lacks = count > 0 || committed_end[p] > round_state_end_[p];
        auto const old_round = lacks && now_steady >= last_round[p] + options_.snapshot_max_age;
        due = due || adds >= options_.snapshot_every || old_round;
        if (2 * adds >= options_.snapshot_every || old_round) {
            r.partitions.push_back(p);
        }
    }
    if (!due) {
        return std::optional<round_plan>{};
    }
    wait_stored(lock); // the round reads RocksDB: no write may land between its offsets and its states
    if (store_error_) {
        return std::unexpected(*store_error_);
    }
    r.ends = committed_end;
    for (auto p : r.partitions) {
        auto stored = db_.get(store::family::meta, events_offset_key(p));
        if (!stored) {
            return std::unexpected(error{errc::retryable, stored.error().message}); // retried later
        }
        if (auto const& value = *stored) {
            r.state_ends[p] = static_cast<std::int64_t>(log::get_u64(*value));
        }
    }
    auto const oldest = r.now - options_.dedupe_retention;
    // wait_stored let go of the lock: a partition released meanwhile leaves the round.
    std::erase_if(r.partitions, [&](std::int32_t p) {
        return !pending_chunk.contains(p) || !r.ends.contains(p) || !r.state_ends.contains(p) ||
               (fence != nullptr && !commands_committed.contains(p));
    });
    if (r.partitions.empty()) {
        return std::optional<round_plan>{};
    }
    if (fence != nullptr) {
        for (auto p : r.partitions) {
            rd_kafka_topic_partition_list_add(r.fenced.get(), lk::commands_topic, p)->offset = commands_committed[p];
        }
    }
    for (auto p : r.partitions) {
        r.chunks[p] = pending_chunk.find(p)->second;
        r.chunks[p].to = r.ends[p];
        for (auto const& c : chunks_written[p]) {
            if (c.newest < oldest) {
                r.old[p].push_back(c);
            }
        }
    }
    return std::optional<round_plan>{std::move(r)};
}

// The round's transaction: the salon snapshots of its partitions, their dedupe chunks and tombstones, and (when
// not right after a batch) the committed offsets again, so that the group's generation fences it. Returns how many
// snapshots it wrote; `added` gets the chunks it wrote.
std::expected<std::uint64_t, error>
kafka_committer::produce_round(round_plan& r, rd_kafka_consumer_group_metadata_t const* fence,
                               std::map<std::int32_t, std::vector<chunk_ref>>& added) {
    if (error_ptr e{rd_kafka_begin_transaction(producer_.get())}) {
        return std::unexpected(
            error{errc::fenced, fmt::format("begin snapshot transaction: {}", rd_kafka_error_string(e.get()))});
    }
    // Not right after a batch (which the group fenced): the group's generation fences the round the same way.
    if (fence != nullptr) {
        if (error_ptr e{rd_kafka_send_offsets_to_transaction(producer_.get(), r.fenced.get(), fence, -1)}) {
            return std::unexpected(fail("send offsets to snapshot transaction", e.get()).error());
        }
    }
    std::expected<void, error> produced;
    std::uint64_t written = 0;
    auto const every = options_.inject_round_failure_every;
    bool const injected = every > 0 && ++rounds_produced_ % every == 0;
    auto scanned = db_.scan(store::family::state, "", "", [&](std::string_view salon, std::string_view state) {
        auto const p = log::partition_for(salon, options_.partitions);
        if (std::find(r.partitions.begin(), r.partitions.end(), p) == r.partitions.end()) {
            return true;
        }
        produced = produce_snapshot(r, p, salon, state, injected);
        ++written;
        return produced.has_value();
    });
    // The commandIds committed since each partition's last round, and the tombstones of chunks past the retention.
    for (auto const& [p, chunk] : r.chunks) {
        for (auto const& part : split_dedupe_chunk(chunk, chunk_entries)) {
            if (!scanned || !produced) {
                break;
            }
            auto const newest = part.newest(r.now);
            added[p].push_back(chunk_ref{dedupe_chunk_key(part.to, newest), newest});
            produced = produce_record(producer_.get(), lk::snapshots_topic, p, added[p].back().key,
                                      encode_dedupe_chunk(part), "dedupe_chunk", untracked);
        }
        for (auto const& c : r.old[p]) {
            if (produced) {
                produced =
                    produce_record(producer_.get(), lk::snapshots_topic, p, c.key, {}, "dedupe_chunk", untracked);
            }
        }
    }
    if (!produced && produced.error().code != errc::retryable) {
        return std::unexpected(produced.error());
    }
    if (!scanned || !produced) { // abort_open always answers an error: the round is given up
        return std::unexpected(abort_open(!scanned ? scanned.error().message : produced.error().message).error());
    }
    if (auto committed = commit_open("commit snapshot transaction"); !committed) {
        return std::unexpected(committed.error());
    }
    return written;
}

std::expected<void, error> kafka_committer::produce_snapshot(round_plan& r, std::int32_t p, std::string_view salon,
                                                             std::string_view state, bool injected) {
    auto produced =
        injected ? std::unexpected(error{errc::retryable, "injected failure"})
                 : produce_record(producer_.get(), lk::snapshots_topic, p, salon,
                                  codec::encode_salon_snapshot(r.state_ends[p], state), "salon_snapshot", untracked);
    if (!produced) {
        produced.error().message = fmt::format("snapshot of {} (partition {}): {}", salon, p, produced.error().message);
    }
    return produced;
}

void kafka_committer::report_round_failure(round_plan const& r, error const& e) {
    stats_.snapshot_failures.fetch_add(1, std::memory_order_relaxed);
    log_.error("snapshot round of {} partition(s) given up, retried later: {}", r.partitions.size(), e.message);
}

// After the round committed: each partition's count and time since its round, its pending chunk started anew,
// and the chunk keys it knows (kept in RocksDB so that this worker tombstones them after a restart).
void kafka_committer::record_round(round_plan& r, std::map<std::int32_t, std::vector<chunk_ref>> const& added) {
    std::unique_lock lock{mutex_};
    auto wb = db_.make_batch();
    for (auto p : r.partitions) {
        if (!pending_chunk.contains(p)) {
            continue; // not expected: partitions are released only when drained, and drain() waits for rounds
        }
        // Counted from the round's end, not its states' (the last checkpoint's): with a checkpoint that lags by more
        // than snapshot_every events, counting those again made every batch after a round due for the next one. The
        // states after the checkpoint come once a checkpoint holds them (plan_round's `gain`).
        since_snapshot[p] = 0;
        last_round[p] = steady::now();
        round_state_end_[p] = r.state_ends[p];
        pending_chunk[p] = dedupe_chunk{r.ends[p], r.ends[p], {}};
        auto& known = chunks_written[p];
        std::erase_if(known, [&](chunk_ref const& c) {
            return std::any_of(r.old[p].begin(), r.old[p].end(), [&](chunk_ref const& o) { return o.key == c.key; });
        });
        if (auto const it = added.find(p); it != added.end()) {
            known.insert(known.end(), it->second.begin(), it->second.end());
        }
        wb.put(store::family::meta, chunk_keys_key(p), encode_chunk_refs(known));
    }
    lock.unlock();
    // Kept so that this worker still tombstones them after a restart; losing it only leaves them to the next
    // worker that restores from the snapshots.
    (void)db_.write(wb, false);
}

} // namespace salonq::engine::kafka::detail
