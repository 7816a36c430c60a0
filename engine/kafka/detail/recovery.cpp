#include "engine/kafka/detail/recovery.hpp"

#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/detail/runtime_shared.hpp"
#include "engine/kafka/detail/snapshot.hpp"
#include "engine/kafka/detail/worker_log.hpp"
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
    auto wb = c.db.make_batch();
    // The chunk keys, to tombstone once expired, also when the round holds no salon (a round written before the
    // worker's first checkpoint has only its chunks: the fold then starts at 0 and reads every commandId itself).
    out.chunks = std::move(latest->chunk_keys);
    wb.put(store::family::meta, chunk_keys_key(p), encode_chunk_refs(out.chunks));
    if (latest->salons.empty()) {
        if (auto written = c.db.write(wb, false); !written) {
            return std::unexpected(error{errc::local_store, written.error().message});
        }
        return out;
    }
    out.from = snapshots_from(*latest);
    for (auto& [salon, snap] : latest->salons) {
        wb.put(store::family::state, salon, codec::encode_state(snap.state));
        c.states.insert_or_assign(salon, std::move(snap.state));
    }
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

// Reads salonq.events[p] from `from` up to `to` (exclusive) or its settled end (see settled_end), whichever comes
// first, and hands each outcome to `on`; returns the offset after the last message read (`from` if none).
template <typename On>
[[nodiscard]] std::expected<std::int64_t, error> read_events(handle_ptr const& reader, std::int32_t p,
                                                             std::int64_t from, std::int64_t to,
                                                             std::atomic<bool> const* stopping, On on) {
    partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
    rd_kafka_topic_partition_list_add(list.get(), lk::events_topic, p)->offset = from;
    if (auto err = rd_kafka_assign(reader.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::retryable, fmt::format("recovery assign: {}", rd_kafka_err2str(err))});
    }
    auto next = from;
    settled_end end{reader.get(), lk::events_topic, p, stopping, to};
    while (next < to) {
        message_ptr m{rd_kafka_consumer_poll(reader.get(), 1000)};
        if (!m || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) { // the partition's end comes as an EOF message
            auto done = end.done(m.get());
            if (!done) {
                return std::unexpected(done.error());
            }
            if (*done) {
                break;
            }
            continue;
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

namespace {

// Taking partition p over, step by step: where the fold starts (the local state, or the snapshots), then the
// commandIds of the dedupe window and the events after the start, then one RocksDB write of what changed.
class partition_takeover {
public:
    partition_takeover(recovery_context const& c, std::int32_t p)
        : c_(c), p_(p), log_(worker_log(c.options.instance).with({logging::kv("partition", p)})),
          wb_(c.db.make_batch()) {}

    [[nodiscard]] std::expected<recovered_partition, error> run() {
        auto local = local_events_offset(c_.db, p_);
        if (!local) {
            return std::unexpected(local.error());
        }
        if (auto opened = open_reader(); !opened) {
            return std::unexpected(opened.error());
        }
        auto first = first_offset(reader_, p_);
        if (!first) {
            return std::unexpected(first.error());
        }
        first_ = *first;
        if (auto start = find_start(*local); !start) {
            return std::unexpected(start.error());
        }
        if (auto ids = read_gaps(); !ids) {
            return std::unexpected(ids.error());
        }
        auto next = fold_from(from_);
        if (!next) {
            return std::unexpected(next.error());
        }
        if (auto written = write(*next); !written) {
            return std::unexpected(written.error());
        }
        out_.events_end = *next;
        return std::move(out_);
    }

private:
    // A read from an offset the retention has deleted fails rather than start silently further on (the retention
    // can run while the fold does).
    [[nodiscard]] std::expected<void, error> open_reader() {
        auto properties = recovery_reader_properties(c_.options.group);
        properties["auto.offset.reset"] = "error";
        auto reader = lk::make_client(c_.options.kafka, RD_KAFKA_CONSUMER, properties);
        if (!reader) {
            // The worker's own clients were built from the same settings: a client that fails now (threads, files)
            // is a passing shortage, retried with the take-over.
            return std::unexpected(error{errc::retryable, reader.error().message});
        }
        reader_ = std::move(*reader);
        return {};
    }

    // Where the fold starts: the local state when it is current, else the latest snapshot round. Events the
    // topic's retention has deleted cannot be folded: a local state older than the topic's first offset (this
    // worker was away longer than the retention) is given up for the snapshots, which are newer.
    [[nodiscard]] std::expected<void, error> find_start(std::optional<std::int64_t> local) {
        auto const oldest = c_.options.clock() - c_.options.dedupe_retention;
        std::optional<std::expected<partition_snapshots, error>> latest; // read only without a usable local state
        if (local && !foldable(*local, first_)) {
            latest = read_latest_snapshots(c_.options.kafka, c_.options.group, p_, oldest, c_.stopping);
            if (auto given_up = give_up_stale(*local, *latest); !given_up) {
                return given_up;
            }
            local.reset();
        }
        if (local) {
            from_ = *local;
            auto known = local_chunk_refs(c_.db, p_);
            if (!known) {
                return std::unexpected(known.error());
            }
            out_.chunks = std::move(*known);
        } else if (c_.options.restore_from_snapshots) {
            if (!latest) {
                latest = read_latest_snapshots(c_.options.kafka, c_.options.group, p_, oldest, c_.stopping);
            }
            if (auto restored = restore(oldest, std::move(*latest)); !restored) {
                return restored;
            }
        }
        if (!foldable(from_, first_)) { // (restored snapshots have no events offset in RocksDB yet: a retry restores)
            return std::unexpected(deleted_by_retention(p_, from_, first_,
                                                        local       ? "the local state"
                                                        : from_ > 0 ? "the latest snapshot round"
                                                                    : "an empty state"));
        }
        from_ = std::max(from_, first_); // (at most the commit marker before `first` is gone)
        trim_deleted_gaps();
        return {};
    }

    // A local state the retention has outrun is given up, but only for snapshots that reach the topic's start.
    [[nodiscard]] std::expected<void, error> give_up_stale(std::int64_t local_from,
                                                           std::expected<partition_snapshots, error> const& latest) {
        if (!latest) {
            return std::unexpected(latest.error());
        }
        if (latest->salons.empty() || !foldable(snapshots_from(*latest), first_)) {
            return std::unexpected(deleted_by_retention(p_, local_from, first_, "the local state"));
        }
        log_.warn("the local state reaches events offset {}, but the topic now starts at {} (retention): restoring "
                  "from salonq.snapshots (offset {}) instead",
                  local_from, first_, snapshots_from(*latest));
        if (auto discarded = discard_local(c_, p_); !discarded) {
            return std::unexpected(discarded.error());
        }
        c_.stats.stale_local_discarded.fetch_add(1, std::memory_order_relaxed);
        return {};
    }

    [[nodiscard]] std::expected<void, error> restore(instant oldest, std::expected<partition_snapshots, error> latest) {
        auto const read_at = steady::now();
        auto restored = restore_snapshots(c_, reader_, p_, oldest, std::move(latest));
        if (!restored) {
            return std::unexpected(restored.error());
        }
        from_ = restored->from;
        out_.chunks = std::move(restored->chunks);
        gaps_ = std::move(restored->gaps);
        if (c_.trace) {
            log_.info("snapshots of partition {} read in {:.1f} ms, {:.1f} ms more into RocksDB ({} dedupe chunks, {} "
                      "gaps)",
                      p_, std::chrono::duration<double, std::milli>(read_at - started_).count(), ms_since(read_at),
                      out_.chunks.size(), gaps_.size());
        }
        return {};
    }

    // CommandIds of the dedupe window whose events the retention has deleted are lost: repeats of those commands
    // would be decided again. `salonq topics create` refuses a retention shorter than the window.
    void trim_deleted_gaps() {
        for (auto& [a, b] : gaps_) {
            if (a < first_) {
                log_.warn("events {} to {} of the dedupe window are deleted (retention): their commandIds are not "
                          "known",
                          a, std::min(b, first_));
                a = std::min(b, first_);
            }
        }
    }

    void remember(std::int64_t offset, log_entry const& entry) {
        auto const [salon, cause, at] = std::visit(
            [](auto const& e) {
                return std::tuple{e.salon, e.cause, e.at};
            },
            entry);
        wb_.put(store::family::dedupe, log::dedupe_key(salon, cause),
                dedupe_entry{at, partition_id{p_}, offset_t{offset}, 1}.encode());
    }

    // The events before the snapshot round that no dedupe chunk covers: only their commandIds are needed.
    [[nodiscard]] std::expected<void, error> read_gaps() {
        for (auto const& [a, b] : gaps_) {
            auto read = read_events(reader_, p_, a, b, c_.stopping, [&](std::int64_t offset, log_entry const& entry) {
                remember(offset, entry);
                c_.stats.dedupe_events_read.fetch_add(1, std::memory_order_relaxed);
                return std::expected<void, error>{};
            });
            if (!read) {
                return std::unexpected(read.error());
            }
        }
        return {};
    }

    // Folds every committed event from `from` on into the state cache; the offset after the last one.
    [[nodiscard]] std::expected<std::int64_t, error> fold_from(std::int64_t from) {
        return read_events(reader_, p_, from, INT64_MAX, c_.stopping,
                           [&](std::int64_t offset, log_entry const& entry) -> std::expected<void, error> {
                               remember(offset, entry);
                               auto const* e = std::get_if<event>(&entry);
                               return e == nullptr ? std::expected<void, error>{} : fold(*e);
                           });
    }

    [[nodiscard]] std::expected<void, error> fold(event const& e) {
        auto folded = fold_into(c_.db, c_.states, e);
        if (!folded) {
            return std::unexpected(from_runtime(folded.error()));
        }
        if (!*folded) {
            return {}; // already folded into the stored state
        }
        changed_.insert(e.salon.value());
        c_.stats.recovered_events.fetch_add(1, std::memory_order_relaxed);
        return {};
    }

    // The changed states, the dedupe entries and the events offset, in one write.
    [[nodiscard]] std::expected<void, error> write(std::int64_t next) {
        for (auto const& salon : changed_) {
            wb_.put(store::family::state, salon, codec::encode_state(c_.states.at(salon)));
        }
        std::string offset;
        log::put_u64(offset, static_cast<std::uint64_t>(next));
        wb_.put(store::family::meta, events_offset_key(p_), offset);
        if (auto written = c_.db.write(wb_, false); !written) {
            return std::unexpected(error{errc::local_store, written.error().message});
        }
        if (c_.trace) {
            log_.info("take-over of partition {}: {:.1f} ms (restored up to offset {}, folded to {})", p_,
                      ms_since(started_), from_, next);
        }
        return {};
    }

    recovery_context const& c_;
    std::int32_t p_;
    steady::time_point started_ = steady::now();
    logging::logger log_;
    handle_ptr reader_;
    std::int64_t first_ = 0;                                  // the partition's first offset (what the retention left)
    std::int64_t from_ = 0;                                   // where the fold starts
    std::vector<std::pair<std::int64_t, std::int64_t>> gaps_; // of the dedupe window, read for commandIds only
    store::write_batch wb_;
    std::set<std::string> changed_;
    recovered_partition out_;
};

} // namespace

std::expected<recovered_partition, error> recover_partition(recovery_context const& c, std::int32_t p) {
    return partition_takeover{c, p}.run();
}

} // namespace salonq::engine::kafka::detail
