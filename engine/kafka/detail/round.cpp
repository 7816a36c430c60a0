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
// folds the rest), with that offset. A failed round is retried after the next batch (or the next request_round);
// only a fatal error stops the worker. Called right after a batch commits, or with `fence` from request_round.
std::expected<void, error> kafka_committer::snapshot_if_due(rd_kafka_consumer_group_metadata_t const* fence) {
    if (options_.snapshot_every == 0) {
        return {};
    }
    std::vector<std::int32_t> round;
    std::map<std::int32_t, std::int64_t> ends;          // committed: where each round's dedupe chunk ends
    std::map<std::int32_t, std::int64_t> state_ends;    // the last checkpoint's: what RocksDB's states reflect
    std::map<std::int32_t, dedupe_chunk> chunks;        // what each partition's round adds
    std::map<std::int32_t, std::vector<chunk_ref>> old; // and the chunks it tombstones
    partition_list_ptr fenced{rd_kafka_topic_partition_list_new(1)}; // the committed offsets it commits again
    auto const now = options_.clock();
    {
        std::unique_lock lock{mutex_};
        // A round reads every salon state of the worker (one scan), whichever partitions it is for: once one is
        // due, the partitions at least half-way to their next round come along. Evenly loaded partitions then share
        // one scan instead of one each (with 20,000 salons the scans were most of the committing thread at 25,000
        // commands/s).
        auto const now_steady = steady::now();
        bool due = false;
        for (auto const& [p, count] : since_snapshot) {
            if (!pending_chunk.contains(p)) {
                continue; // adopted partitions only
            }
            auto const old_round = count > 0 && now_steady >= last_round[p] + options_.snapshot_max_age;
            due = due || count >= options_.snapshot_every || old_round;
            if (2 * count >= options_.snapshot_every || old_round) {
                round.push_back(p);
            }
        }
        if (!due) {
            return {};
        }
        wait_stored(lock); // the round reads RocksDB: no write may land between its offsets and its states
        if (store_error_) {
            return std::unexpected(*store_error_);
        }
        ends = committed_end;
        for (auto p : round) {
            auto stored = db_.get(store::family::meta, events_offset_key(p));
            if (!stored) {
                return std::unexpected(error{errc::retryable, stored.error().message}); // retried later
            }
            if (auto const& value = *stored) {
                state_ends[p] = static_cast<std::int64_t>(log::get_u64(*value));
            }
        }
        auto const oldest = now - options_.dedupe_retention;
        // wait_stored let go of the lock: a partition released meanwhile leaves the round.
        std::erase_if(round, [&](std::int32_t p) {
            return !pending_chunk.contains(p) || !ends.contains(p) || !state_ends.contains(p) ||
                   (fence != nullptr && !commands_committed.contains(p));
        });
        if (round.empty()) {
            return {};
        }
        if (fence != nullptr) {
            for (auto p : round) {
                rd_kafka_topic_partition_list_add(fenced.get(), lk::commands_topic, p)->offset = commands_committed[p];
            }
        }
        for (auto p : round) {
            chunks[p] = pending_chunk.find(p)->second;
            chunks[p].to = ends[p];
            for (auto const& c : chunks_written[p]) {
                if (c.newest < oldest) {
                    old[p].push_back(c);
                }
            }
        }
    }
    if (error_ptr e{rd_kafka_begin_transaction(producer_.get())}) {
        return std::unexpected(
            error{errc::fenced, fmt::format("begin snapshot transaction: {}", rd_kafka_error_string(e.get()))});
    }
    // Not right after a batch (which the group fenced): the group's generation fences the round the same way.
    if (fence != nullptr) {
        if (error_ptr e{rd_kafka_send_offsets_to_transaction(producer_.get(), fenced.get(), fence, -1)}) {
            return fail("send offsets to snapshot transaction", e.get());
        }
    }
    std::expected<void, error> produced;
    std::uint64_t written = 0;
    auto scanned = db_.scan(store::family::state, "", "", [&](std::string_view salon, std::string_view state) {
        auto const p = log::partition_for(salon, options_.partitions);
        if (std::find(round.begin(), round.end(), p) == round.end()) {
            return true;
        }
        produced = produce_record(producer_.get(), lk::snapshots_topic, p, salon,
                                  codec::encode_salon_snapshot(state_ends[p], state), "salon_snapshot", untracked);
        ++written;
        return produced.has_value();
    });
    // The commandIds committed since each partition's last round, and the tombstones of chunks past the retention.
    std::map<std::int32_t, std::vector<chunk_ref>> added;
    for (auto const& [p, chunk] : chunks) {
        for (auto const& part : split_dedupe_chunk(chunk, chunk_entries)) {
            if (!scanned || !produced) {
                break;
            }
            auto const newest = part.newest(now);
            added[p].push_back(chunk_ref{dedupe_chunk_key(part.to, newest), newest});
            produced = produce_record(producer_.get(), lk::snapshots_topic, p, added[p].back().key,
                                      encode_dedupe_chunk(part), "dedupe_chunk", untracked);
        }
        for (auto const& c : old[p]) {
            if (produced) {
                produced =
                    produce_record(producer_.get(), lk::snapshots_topic, p, c.key, {}, "dedupe_chunk", untracked);
            }
        }
    }
    if (!produced && produced.error().code != errc::retryable) {
        return produced;
    }
    if (!scanned || !produced) {
        return abort_open(!scanned ? scanned.error().message : produced.error().message);
    }
    if (auto committed = commit_open("commit snapshot transaction"); !committed) {
        return committed;
    }
    stats_.snapshots_written.fetch_add(written, std::memory_order_relaxed);
    std::unique_lock lock{mutex_};
    auto wb = db_.make_batch();
    for (auto p : round) {
        if (!pending_chunk.contains(p)) {
            continue; // not expected: partitions are released only when drained, and drain() waits for rounds
        }
        // The round holds the states up to the last checkpoint: what came after is still to be in a round.
        since_snapshot[p] = static_cast<std::uint64_t>(std::max<std::int64_t>(0, ends[p] - state_ends[p]));
        last_round[p] = steady::now();
        pending_chunk[p] = dedupe_chunk{ends[p], ends[p], {}};
        auto& known = chunks_written[p];
        std::erase_if(known, [&](chunk_ref const& c) {
            return std::any_of(old[p].begin(), old[p].end(), [&](chunk_ref const& o) { return o.key == c.key; });
        });
        known.insert(known.end(), added[p].begin(), added[p].end());
        wb.put(store::family::meta, chunk_keys_key(p), encode_chunk_refs(known));
    }
    lock.unlock();
    // Kept so that this worker still tombstones them after a restart; losing it only leaves them to the next
    // worker that restores from the snapshots.
    (void)db_.write(wb, false);
    return {};
}

} // namespace salonq::engine::kafka::detail
