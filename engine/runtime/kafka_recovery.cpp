#include "engine/runtime/kafka_recovery.hpp"

#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/log/kafka/client.hpp"
#include "engine/log/keys.hpp"
#include "engine/runtime/dedupe.hpp"
#include "engine/runtime/kafka_snapshot.hpp"
#include "engine/store/rocks_store.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <set>

namespace salonq::engine::runtime::kafka_detail {
namespace {

using namespace log::kafka::detail;
namespace lk = log::kafka;
using steady = std::chrono::steady_clock;

double ms_since(steady::time_point t) { return std::chrono::duration<double, std::milli>(steady::now() - t).count(); }

// Without local state: loads the latest snapshot round of partition p (cache and RocksDB) and returns the events
// offset from which to fold (0 when there are no snapshots).
std::expected<std::int64_t, error> restore_snapshots(recovery_context const& c, std::int32_t p) {
    auto latest = read_latest_snapshots(c.options.kafka, c.options.group, p);
    if (!latest) {
        return std::unexpected(latest.error());
    }
    if (latest->empty()) {
        return 0;
    }
    auto wb = c.db.make_batch();
    std::int64_t from = INT64_MAX;
    for (auto& [salon, snap] : *latest) {
        auto decoded = codec::decode_state(snap.state);
        if (!decoded) {
            return std::unexpected(error{errc::corrupt, fmt::format("snapshot of {} does not decode", salon)});
        }
        from = std::min(from, snap.events_offset);
        wb.put(store::family::state, salon, snap.state);
        c.states.insert_or_assign(salon, std::move(*decoded));
    }
    if (auto written = c.db.write(wb, false); !written) {
        return std::unexpected(error{errc::storage, written.error().message});
    }
    c.stats.snapshots_restored.fetch_add(latest->size(), std::memory_order_relaxed);
    return from;
}

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

} // namespace

std::string events_offset_key(std::int32_t p) { return "e/" + log::partition_prefix(partition_id{p}); }

std::expected<std::int64_t, error> recover_partition(recovery_context const& c, std::int32_t p) {
    auto const started = steady::now();
    std::int64_t from = 0;
    bool from_snapshots = false;
    if (auto local = c.db.get(store::family::meta, events_offset_key(p)); local && *local) {
        from = static_cast<std::int64_t>(log::get_u64(**local));
    } else if (c.options.restore_from_snapshots) {
        auto restored = restore_snapshots(c, p);
        if (!restored) {
            return std::unexpected(restored.error());
        }
        from = *restored;
        from_snapshots = from > 0;
        if (c.trace) {
            std::fprintf(stderr, "snapshots of partition %d read in %.1f ms\n", p, ms_since(started));
        }
    }
    auto reader = lk::make_client(c.options.kafka, RD_KAFKA_CONSUMER, recovery_reader_properties(c.options.group));
    if (!reader) {
        return std::unexpected(error{errc::storage, reader.error().message});
    }
    // A restore from snapshots knows the states but not the commandIds decided before the round: the events of
    // the backfill window before it are read as well. Folding skips them by seq; they only add dedupe entries.
    auto read_from = from;
    if (from_snapshots && c.options.dedupe_backfill.count() > 0) {
        read_from = std::min(from, offset_since(*reader, p, c.options.clock() - c.options.dedupe_backfill));
    }
    partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
    rd_kafka_topic_partition_list_add(list.get(), lk::events_topic, p)->offset = read_from;
    if (auto err = rd_kafka_assign(reader->get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::storage, fmt::format("recovery assign: {}", rd_kafka_err2str(err))});
    }
    auto wb = c.db.make_batch();
    std::set<std::string> changed;
    std::int64_t next = from;
    for (;;) {
        message_ptr m{rd_kafka_consumer_poll(reader->get(), 1000)};
        if (!m) {
            continue; // nothing yet: the partition end is signalled by an EOF message
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            break;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(error{errc::storage, fmt::format("recovery read of {}[{}]: {}", lk::events_topic, p,
                                                                    rd_kafka_message_errstr(m.get()))});
        }
        next = m->offset + 1;
        auto entry = codec::decode_entry({static_cast<char const*>(m->payload), m->len});
        if (!entry) {
            continue; // not an outcome of a salon (e.g. command_invalid): nothing to fold
        }
        auto const [salon, cause, at] = std::visit(
            [](auto const& e) {
                return std::tuple{e.salon, e.cause, e.at};
            },
            *entry);
        wb.put(store::family::dedupe, log::dedupe_key(salon, cause),
               dedupe_entry{at, partition_id{p}, offset_t{m->offset}, 1}.encode());
        auto const* e = std::get_if<event>(&*entry);
        if (e == nullptr) {
            continue;
        }
        auto loaded = load_state(c.db, c.states, salon);
        if (!loaded) {
            return std::unexpected(loaded.error());
        }
        auto* state = *loaded;
        if (state == nullptr) {
            state = &c.states.emplace(salon.value(), salon_state{}).first->second;
            state->id = salon;
        }
        if (e->seq.value() <= state->seq.value()) {
            continue; // already folded into the stored state
        }
        if (e->seq.value() != state->seq.value() + 1) {
            return std::unexpected(error{errc::corrupt, fmt::format("salon {}: event seq {} after {}", salon.value(),
                                                                    e->seq.value(), state->seq.value())});
        }
        evolve(*state, *e);
        changed.insert(salon.value());
        c.stats.recovered_events.fetch_add(1, std::memory_order_relaxed);
    }
    for (auto const& salon : changed) {
        wb.put(store::family::state, salon, codec::encode_state(c.states.at(salon)));
    }
    std::string offset;
    log::put_u64(offset, static_cast<std::uint64_t>(next));
    wb.put(store::family::meta, events_offset_key(p), offset);
    if (auto written = c.db.write(wb, false); !written) {
        return std::unexpected(error{errc::storage, written.error().message});
    }
    if (c.trace) {
        std::fprintf(
            stderr, "take-over of partition %d: %.1f ms (restored up to offset %lld, read from %lld, folded to %lld)\n",
            p, ms_since(started), static_cast<long long>(from), static_cast<long long>(read_from),
            static_cast<long long>(next));
    }
    return next;
}

} // namespace salonq::engine::runtime::kafka_detail
