#include "engine/kafka/detail/recovery.hpp"

#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/detail/runtime_shared.hpp"
#include "engine/kafka/detail/snapshot.hpp"
#include "engine/log/keys.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/store/rocks_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <unordered_map>

namespace salonq::engine::kafka::detail {
namespace {

using namespace kafka::detail;
namespace lk = kafka;
using steady = std::chrono::steady_clock;

double ms_since(steady::time_point t) { return std::chrono::duration<double, std::milli>(steady::now() - t).count(); }

struct restored {
    std::int64_t from = 0; // events offset the snapshots reach (0: no snapshots)
    std::vector<chunk_ref> chunks;
    std::vector<std::pair<std::int64_t, std::int64_t>> gaps; // events offsets no chunk covers, within retention
};

// The first offset of salonq.events[p] written at or after `since` (the end of the partition if none; 0 if the
// broker cannot tell, which only makes the read longer).
std::int64_t offset_since(handle_ptr const& reader, std::int32_t p, instant since) {
    partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
    rd_kafka_topic_partition_list_add(list.get(), lk::events_topic, p)->offset = to_unix_ms(since);
    if (rd_kafka_offsets_for_times(reader.get(), list.get(), 10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return 0;
    }
    auto const offset = list->elems[0].offset;
    return offset >= 0 ? offset : INT64_MAX; // -1: nothing that recent
}

// The first offset salonq.events[p] still holds. Without it a local state the retention has outrun would look
// current (the read from its offset finds nothing) and the worker would decide on a stale state.
[[nodiscard]] std::expected<std::int64_t, error> first_offset(handle_ptr const& reader, std::int32_t p) {
    std::int64_t low = 0, high = 0;
    if (auto err = rd_kafka_query_watermark_offsets(reader.get(), lk::events_topic, p, &low, &high, 10000);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{
            errc::retryable, fmt::format("first offset of {}[{}]: {}", lk::events_topic, p, rd_kafka_err2str(err))});
    }
    return std::max<std::int64_t>(low, 0);
}

// The events offset partition p's states in this worker's RocksDB reach (nullopt: it holds none). A failed read
// is an error, never "no local state": that would restore older snapshots, or fold from the start, over states
// RocksDB still holds, and the worker would decide on them.
[[nodiscard]] std::expected<std::optional<std::int64_t>, error> local_events_offset(store::rocks_store const& db,
                                                                                    std::int32_t p) {
    auto stored = db.get(store::family::meta, events_offset_key(p));
    if (!stored) {
        return std::unexpected(error{errc::local_store, fmt::format("partition {}: reading the local events offset: {}",
                                                                    p, stored.error().message)});
    }
    auto const& value = *stored;
    if (!value) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(log::get_u64(*value));
}

// The dedupe chunk keys this worker knew in salonq.snapshots[p] when it last owned p (it tombstones them once
// expired); a failed read is an error, as above.
[[nodiscard]] std::expected<std::vector<chunk_ref>, error> local_chunk_refs(store::rocks_store const& db,
                                                                            std::int32_t p) {
    auto stored = db.get(store::family::meta, chunk_keys_key(p));
    if (!stored) {
        return std::unexpected(error{errc::local_store, fmt::format("partition {}: reading the local chunk keys: {}", p,
                                                                    stored.error().message)});
    }
    auto const& value = *stored;
    return value ? decode_chunk_refs(*value) : std::vector<chunk_ref>{};
}

// Forgets what this worker's RocksDB holds of partition p's salon states and events offset (its dedupe entries
// stay: they are still true, and expire with the retention).
[[nodiscard]] std::expected<void, error> discard_local(recovery_context const& c, std::int32_t p) {
    auto wb = c.db.make_batch();
    auto scanned = c.db.scan(store::family::state, "", "", [&](std::string_view salon, std::string_view) {
        if (log::partition_for(salon, c.partitions) == p) {
            wb.erase(store::family::state, salon);
            c.states.erase(std::string{salon});
        }
        return true;
    });
    if (!scanned) {
        return std::unexpected(error{errc::local_store, scanned.error().message});
    }
    wb.erase(store::family::meta, events_offset_key(p));
    if (auto written = c.db.write(wb, false); !written) {
        return std::unexpected(error{errc::local_store, written.error().message});
    }
    return {};
}

// The events offset from which partition p's latest snapshots can be folded (0 if there are none).
std::int64_t snapshots_from(partition_snapshots const& latest) {
    std::int64_t from = latest.salons.empty() ? 0 : INT64_MAX;
    for (auto const& [salon, snap] : latest.salons) {
        from = std::min(from, snap.events_offset);
    }
    return from;
}

// Whether a fold from `from` misses no committed event when salonq.events[p] starts at `first` (its retention
// may have deleted what came before). The offset a state reaches is the end of a transaction's records, which is
// where that transaction's commit marker sits (the next transaction adds its partitions only once the markers are
// written): that one offset may be gone.
bool foldable(std::int64_t from, std::int64_t first) { return from >= first - 1; }

error deleted_by_retention(std::int32_t p, std::int64_t from, std::int64_t first, std::string_view what) {
    return error{errc::corrupt_record,
                 fmt::format("partition {}: {} reaches events offset {}, but {}[{}] now starts at {}: "
                             "the topic's retention deleted events that no state covers (its "
                             "retention must be longer than the snapshots' age)",
                             p, what, from, lk::events_topic, p, first)};
}

// Writes the dedupe entries of `chunks` received since `oldest` for outcomes before offset `before` (later ones are
// folded from the events) into RocksDB; returns how many.
[[nodiscard]] std::expected<std::size_t, error> load_dedupe_entries(store::rocks_store& db,
                                                                    std::vector<dedupe_chunk> const& chunks,
                                                                    instant oldest, std::int64_t before) {
    // A busy partition's 7-day window is about a million entries: inserted one by one into RocksDB's memtable
    // they took most of a hand-over's time (1.5–3 s). They go in as one SST file instead, sorted salon by salon
    // (a key is salonId, NUL, commandId, so that is key order, and each salon's sort stays in cache).
    std::unordered_map<std::string_view, std::vector<std::pair<std::string, dedupe_entry> const*>> by_salon;
    std::size_t wanted = 0;
    for (auto const& chunk : chunks) {
        for (auto const& entry : chunk.entries) {
            auto const& e = entry.second;
            if (e.received_at >= oldest && e.first_offset.value() < before) {
                auto const key = std::string_view{entry.first};
                by_salon[key.substr(0, key.find('\0'))].push_back(&entry);
                ++wanted;
            }
        }
    }
    std::vector<std::string_view> salons;
    salons.reserve(by_salon.size());
    for (auto const& [salon, keys] : by_salon) {
        salons.push_back(salon);
    }
    std::sort(salons.begin(), salons.end());
    std::vector<std::pair<std::string_view, std::string_view>> sorted;
    sorted.reserve(wanted);
    std::string values(wanted * dedupe_entry::encoded_size, '\0'); // what the views in `sorted` point to
    for (auto salon : salons) {
        auto& keys = by_salon[salon];
        // The same commandId in two chunks (not expected: a command is decided once) keeps its latest entry.
        std::sort(keys.begin(), keys.end(), [](auto const* a, auto const* b) {
            return a->first != b->first ? a->first < b->first
                                        : a->second.first_offset.value() > b->second.first_offset.value();
        });
        for (auto const* entry : keys) {
            if (!sorted.empty() && sorted.back().first == entry->first) {
                continue;
            }
            auto* value = values.data() + sorted.size() * dedupe_entry::encoded_size;
            entry->second.encode_into(value);
            sorted.emplace_back(entry->first, std::string_view{value, dedupe_entry::encoded_size});
        }
    }
    if (auto ingested = db.ingest(store::family::dedupe, sorted); !ingested) {
        return std::unexpected(error{errc::local_store, ingested.error().message});
    }
    return sorted.size();
}

// Loads the latest snapshot round of partition p (cache and RocksDB) with the dedupe entries of its chunks that
// are still within the retention, and finds the events before the round that no chunk covers.
[[nodiscard]] std::expected<restored, error> restore_snapshots(recovery_context const& c, handle_ptr const& reader,
                                                               std::int32_t p, instant oldest,
                                                               std::expected<partition_snapshots, error> latest) {
    if (!latest) {
        return std::unexpected(latest.error());
    }
    restored out;
    if (latest->salons.empty()) {
        return out;
    }
    auto wb = c.db.make_batch();
    out.from = snapshots_from(*latest);
    for (auto& [salon, snap] : latest->salons) {
        wb.put(store::family::state, salon, codec::encode_state(snap.state));
        c.states.insert_or_assign(salon, std::move(snap.state));
    }
    out.chunks = std::move(latest->chunk_keys);
    wb.put(store::family::meta, chunk_keys_key(p), encode_chunk_refs(out.chunks));
    auto const entries = load_dedupe_entries(c.db, latest->chunks, oldest, out.from);
    if (!entries) {
        return std::unexpected(entries.error());
    }
    if (auto written = c.db.write(wb, false); !written) {
        return std::unexpected(error{errc::local_store, written.error().message});
    }
    out.gaps = uncovered(std::min(out.from, offset_since(reader, p, oldest)), out.from, latest->chunks);
    c.stats.snapshots_restored.fetch_add(latest->salons.size(), std::memory_order_relaxed);
    c.stats.dedupe_restored.fetch_add(*entries, std::memory_order_relaxed);
    return out;
}

// Reads salonq.events[p] from `from` up to `to` (exclusive) or its last stable offset, whichever comes first, and
// hands each outcome to `on`; returns the offset after the last message read (`from` if none).
template <typename On>
[[nodiscard]] std::expected<std::int64_t, error> read_events(handle_ptr const& reader, std::int32_t p,
                                                             std::int64_t from, std::int64_t to, On on) {
    partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
    rd_kafka_topic_partition_list_add(list.get(), lk::events_topic, p)->offset = from;
    if (auto err = rd_kafka_assign(reader.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::retryable, fmt::format("recovery assign: {}", rd_kafka_err2str(err))});
    }
    auto next = from;
    while (next < to) {
        message_ptr m{rd_kafka_consumer_poll(reader.get(), 1000)};
        if (!m) {
            continue; // nothing yet: the partition end is signalled by an EOF message
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            break;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(error{errc::retryable, fmt::format("recovery read of {}[{}]: {}", lk::events_topic,
                                                                      p, rd_kafka_message_errstr(m.get()))});
        }
        if (m->offset < from) {
            continue; // not expected (fetches start at `from`), but never a reason to stop early
        }
        if (m->offset >= to) {
            break; // past the range (a transaction marker can hold its last offset)
        }
        next = m->offset + 1;
        if (auto entry = codec::decode_entry({static_cast<char const*>(m->payload), m->len})) {
            if (auto done = on(m->offset, *entry); !done) {
                return std::unexpected(done.error());
            }
        } // else not an outcome of a salon (e.g. command_invalid): nothing to fold
    }
    return next;
}

} // namespace

std::string events_offset_key(std::int32_t p) { return "e/" + log::partition_prefix(partition_id{p}); }

std::string chunk_keys_key(std::int32_t p) { return "k/" + log::partition_prefix(partition_id{p}); }

std::expected<recovered_partition, error> recover_partition(recovery_context const& c, std::int32_t p) {
    auto const started = steady::now();
    auto local_known = local_events_offset(c.db, p);
    if (!local_known) {
        return std::unexpected(local_known.error());
    }
    auto local = *local_known;
    // A read from an offset the retention has deleted fails rather than start silently further on (the retention
    // can run while the fold does).
    auto properties = recovery_reader_properties(c.options.group);
    properties["auto.offset.reset"] = "error";
    auto reader = lk::make_client(c.options.kafka, RD_KAFKA_CONSUMER, properties);
    if (!reader) {
        return std::unexpected(reader.error());
    }
    recovered_partition out;
    std::int64_t from = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> gaps;
    // Events the topic's retention has deleted cannot be folded: a local state older than the topic's first offset
    // (this worker was away longer than the retention) is given up for the snapshots, which are newer.
    auto const first_known = first_offset(*reader, p);
    if (!first_known) {
        return std::unexpected(first_known.error());
    }
    auto const first = *first_known;
    auto const oldest = c.options.clock() - c.options.dedupe_retention;
    std::optional<std::expected<partition_snapshots, error>> latest; // read only when there is no usable local state
    if (local && !foldable(*local, first)) {
        auto const local_from = *local;
        latest = read_latest_snapshots(c.options.kafka, c.options.group, p, oldest);
        if (!*latest) {
            return std::unexpected(latest->error());
        }
        if ((*latest)->salons.empty() || !foldable(snapshots_from(**latest), first)) {
            return std::unexpected(deleted_by_retention(p, local_from, first, "the local state"));
        }
        std::fprintf(stderr,
                     "salonq engine %s: partition %d: the local state reaches events offset %lld, but the topic now "
                     "starts at %lld (retention): restoring from salonq.snapshots (offset %lld) instead\n",
                     c.options.instance.c_str(), p, static_cast<long long>(local_from), static_cast<long long>(first),
                     static_cast<long long>(snapshots_from(**latest)));
        if (auto discarded = discard_local(c, p); !discarded) {
            return std::unexpected(discarded.error());
        }
        local.reset();
        c.stats.stale_local_discarded.fetch_add(1, std::memory_order_relaxed);
    }
    if (local) {
        from = *local;
        auto known = local_chunk_refs(c.db, p);
        if (!known) {
            return std::unexpected(known.error());
        }
        out.chunks = std::move(*known);
    } else if (c.options.restore_from_snapshots) {
        if (!latest) {
            latest = read_latest_snapshots(c.options.kafka, c.options.group, p, oldest);
        }
        auto const read_at = steady::now();
        auto restored = restore_snapshots(c, *reader, p, oldest, std::move(*latest));
        if (!restored) {
            return std::unexpected(restored.error());
        }
        from = restored->from;
        out.chunks = std::move(restored->chunks);
        gaps = std::move(restored->gaps);
        if (c.trace) {
            std::fprintf(stderr,
                         "snapshots of partition %d read in %.1f ms, %.1f ms more into RocksDB (%zu dedupe chunks, "
                         "%zu gaps)\n",
                         p, std::chrono::duration<double, std::milli>(read_at - started).count(), ms_since(read_at),
                         out.chunks.size(), gaps.size());
        }
    }
    if (!foldable(from, first)) { // (restored snapshots have no events offset in RocksDB yet: a retry restores again)
        return std::unexpected(deleted_by_retention(p, from, first,
                                                    local      ? "the local state"
                                                    : from > 0 ? "the latest snapshot round"
                                                               : "an empty state"));
    }
    from = std::max(from, first); // (at most the commit marker before `first` is gone)
    // CommandIds of the dedupe window whose events the retention has deleted are lost: repeats of those commands
    // would be decided again. `salonq topics create` refuses a retention shorter than the window.
    for (auto& [a, b] : gaps) {
        if (a < first) {
            std::fprintf(stderr,
                         "salonq engine %s: partition %d: events %lld to %lld of the dedupe window are deleted "
                         "(retention): their commandIds are not known\n",
                         c.options.instance.c_str(), p, static_cast<long long>(a),
                         static_cast<long long>(std::min(b, first)));
            a = std::min(b, first);
        }
    }
    auto wb = c.db.make_batch();
    auto remember = [&](std::int64_t offset, log_entry const& entry) {
        auto const [salon, cause, at] = std::visit(
            [](auto const& e) {
                return std::tuple{e.salon, e.cause, e.at};
            },
            entry);
        wb.put(store::family::dedupe, log::dedupe_key(salon, cause),
               dedupe_entry{at, partition_id{p}, offset_t{offset}, 1}.encode());
    };
    // The events before the snapshot round that no dedupe chunk covers: only their commandIds are needed.
    for (auto const& [a, b] : gaps) {
        auto read = read_events(*reader, p, a, b, [&](std::int64_t offset, log_entry const& entry) {
            remember(offset, entry);
            c.stats.dedupe_events_read.fetch_add(1, std::memory_order_relaxed);
            return std::expected<void, error>{};
        });
        if (!read) {
            return std::unexpected(read.error());
        }
    }
    std::set<std::string> changed;
    auto next = read_events(
        *reader, p, from, INT64_MAX, [&](std::int64_t offset, log_entry const& entry) -> std::expected<void, error> {
            remember(offset, entry);
            auto const* e = std::get_if<event>(&entry);
            if (e == nullptr) {
                return {};
            }
            auto loaded = load_state(c.db, c.states, e->salon);
            if (!loaded) {
                return std::unexpected(from_runtime(loaded.error()));
            }
            auto* state = *loaded;
            if (state == nullptr) {
                state = &c.states.emplace(e->salon.value(), salon_state{}).first->second;
                state->id = e->salon;
            }
            if (e->seq.value() <= state->seq.value()) {
                return {}; // already folded into the stored state
            }
            if (e->seq.value() != state->seq.value() + 1) {
                return std::unexpected(
                    error{errc::corrupt_record, fmt::format("salon {}: event seq {} after {}", e->salon.value(),
                                                            e->seq.value(), state->seq.value())});
            }
            evolve(*state, *e);
            changed.insert(e->salon.value());
            c.stats.recovered_events.fetch_add(1, std::memory_order_relaxed);
            return {};
        });
    if (!next) {
        return std::unexpected(next.error());
    }
    for (auto const& salon : changed) {
        wb.put(store::family::state, salon, codec::encode_state(c.states.at(salon)));
    }
    std::string offset;
    log::put_u64(offset, static_cast<std::uint64_t>(*next));
    wb.put(store::family::meta, events_offset_key(p), offset);
    if (auto written = c.db.write(wb, false); !written) {
        return std::unexpected(error{errc::local_store, written.error().message});
    }
    if (c.trace) {
        std::fprintf(stderr, "take-over of partition %d: %.1f ms (restored up to offset %lld, folded to %lld)\n", p,
                     ms_since(started), static_cast<long long>(from), static_cast<long long>(*next));
    }
    out.events_end = *next;
    return out;
}

} // namespace salonq::engine::kafka::detail
