#include "engine/runtime/kafka_engine.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/log/kafka/admin.hpp"
#include "engine/log/kafka/client.hpp"
#include "engine/log/keys.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/runtime/dedupe.hpp"
#include "engine/runtime/stored.hpp"
#include "engine/store/rocks_store.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

namespace salonq::engine::runtime {
namespace {

using namespace log::kafka::detail;
namespace lk = log::kafka;

std::string events_offset_key(std::int32_t p) { return "e/" + log::partition_prefix(partition_id{p}); }

// A produced record whose offset the delivery report fills in.
struct delivery_slot {
    std::int32_t partition = 0;
    std::int64_t offset = -1;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    bool event = true; // an outcome on salonq.events (not a snapshot)
};

// A snapshot record: the salon's state and the events offset from which folding continues after it. The state
// comes last so a reader can cut it out without re-encoding.
std::string snapshot_record(std::int64_t events_offset, std::string_view state_json) {
    return fmt::format(R"({{"type":"salon_snapshot","v":1,"eventsOffset":{},"state":{}}})", events_offset, state_json);
}

struct snapshot_view {
    std::int64_t events_offset = -1;
    std::string_view state;
};

std::optional<snapshot_view> parse_snapshot(std::string_view v) {
    constexpr std::string_view head = R"({"type":"salon_snapshot","v":1,"eventsOffset":)";
    if (!v.starts_with(head) || v.size() < head.size() + 12 || v.back() != '}') {
        return std::nullopt;
    }
    auto rest = v.substr(head.size());
    auto const comma = rest.find(',');
    if (comma == std::string_view::npos) {
        return std::nullopt;
    }
    snapshot_view out;
    auto const [ptr, ec] = std::from_chars(rest.data(), rest.data() + comma, out.events_offset);
    constexpr std::string_view state_key = R"(,"state":)";
    if (ec != std::errc{} || rest.substr(comma, state_key.size()) != state_key) {
        return std::nullopt;
    }
    out.state = rest.substr(comma + state_key.size(), rest.size() - comma - state_key.size() - 1);
    return out;
}

struct decided_command {
    std::string dedupe_key;
    instant received_at{};
    std::size_t first_slot = 0;
    std::uint32_t count = 0;
};

} // namespace

struct kafka_engine::impl {
    kafka_engine_options options;
    kafka_engine_stats stats;
    std::atomic<bool> stopping{false};
    bool const trace = std::getenv("SALONQ_TRACE_TXN") != nullptr; // per-transaction timing on stderr
    std::unique_ptr<store::rocks_store> db;
    std::int32_t partitions = 0;
    handle_ptr consumer;
    handle_ptr producer;
    std::set<std::int32_t> owned;
    bool ever_assigned = false;
    state_cache states; // salons of owned partitions, as committed + this batch
    std::vector<delivery_slot> slots;
    std::optional<error> callback_error;
    std::chrono::steady_clock::time_point assigned_at{};
    std::map<std::int32_t, std::int64_t> committed_end;   // events end offset of each owned partition
    std::map<std::int32_t, std::uint64_t> since_snapshot; // events since the partition's last snapshot round
    std::vector<std::int32_t> snapshot_round;             // partitions snapshotted in the open transaction
    bool awaiting_first_decision = false;

    // ---- recovery -------------------------------------------------------------------------------------------

    std::expected<salon_state*, error> load(salon_id const& id) { return load_state(*db, states, id); }

    std::int64_t stored_events_offset(std::int32_t p) {
        auto v = db->get(store::family::meta, events_offset_key(p));
        return v && *v ? static_cast<std::int64_t>(log::get_u64(**v)) : 0;
    }

    // Brings the states of partition p up to the end of its committed events: from the offset RocksDB reflects
    // to the last stable offset, read_committed. Folding is idempotent by seq, so a state that is already
    // ahead of an event (written after a commit, before the crash that lost the offset) skips it.
    std::map<std::string, std::string> recovery_reader_properties() const {
        return {{"group.id", options.group + "-recovery"}, {"isolation.level", "read_committed"},
                {"enable.auto.commit", "false"},           {"enable.partition.eof", "true"},
                {"auto.offset.reset", "earliest"},         {"fetch.wait.max.ms", "10"},
                {"fetch.error.backoff.ms", "20"}};
    }

    // The latest snapshot round of partition p, for a worker without local state: loads those states (cache and
    // RocksDB) and returns the events offset from which to fold (0 when there are no snapshots).
    std::expected<std::int64_t, error> restore_snapshots(std::int32_t p) {
        auto reader = lk::make_client(options.kafka, RD_KAFKA_CONSUMER, recovery_reader_properties());
        if (!reader) {
            return std::unexpected(error{errc::storage, reader.error().message});
        }
        partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
        // Offset 0 rather than OFFSET_BEGINNING (which costs a fetch back-off here); a compacted-away start resets
        // to the earliest offset.
        rd_kafka_topic_partition_list_add(list.get(), lk::snapshots_topic, p)->offset = 0;
        (void)rd_kafka_assign(reader->get(), list.get());
        std::map<std::string, std::pair<std::int64_t, std::string>> latest;
        for (;;) {
            message_ptr m{rd_kafka_consumer_poll(reader->get(), 1000)};
            if (!m) {
                continue;
            }
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                break;
            }
            if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return std::unexpected(error{errc::storage, fmt::format("reading {}[{}]: {}", lk::snapshots_topic, p,
                                                                        rd_kafka_message_errstr(m.get()))});
            }
            auto snap = parse_snapshot({static_cast<char const*>(m->payload), m->len});
            if (!snap || m->key == nullptr) {
                continue;
            }
            latest.insert_or_assign(std::string{static_cast<char const*>(m->key), m->key_len},
                                    std::pair{snap->events_offset, std::string{snap->state}});
        }
        if (latest.empty()) {
            return 0;
        }
        auto wb = db->make_batch();
        std::int64_t from = INT64_MAX;
        for (auto& [salon, snap] : latest) {
            auto decoded = codec::decode_state(snap.second);
            if (!decoded) {
                return std::unexpected(error{errc::corrupt, fmt::format("snapshot of {} does not decode", salon)});
            }
            from = std::min(from, snap.first);
            wb.put(store::family::state, salon, snap.second);
            states.insert_or_assign(salon, std::move(*decoded));
        }
        if (auto written = db->write(wb, false); !written) {
            return std::unexpected(error{errc::storage, written.error().message});
        }
        stats.snapshots_restored.fetch_add(latest.size(), std::memory_order_relaxed);
        return from;
    }

    std::expected<void, error> take_over(std::int32_t p) {
        auto const started = std::chrono::steady_clock::now();
        std::int64_t from = 0;
        if (auto local = db->get(store::family::meta, events_offset_key(p)); local && *local) {
            from = static_cast<std::int64_t>(log::get_u64(**local));
        } else if (options.restore_from_snapshots) {
            auto restored = restore_snapshots(p);
            if (!restored) {
                return std::unexpected(restored.error());
            }
            from = *restored;
            if (trace) {
                std::fprintf(
                    stderr, "snapshots of partition %d read in %.1f ms\n", p,
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
            }
        }
        auto reader = lk::make_client(options.kafka, RD_KAFKA_CONSUMER, recovery_reader_properties());
        if (!reader) {
            return std::unexpected(error{errc::storage, reader.error().message});
        }
        partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
        rd_kafka_topic_partition_list_add(list.get(), lk::events_topic, p)->offset = from;
        if (auto err = rd_kafka_assign(reader->get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(error{errc::storage, fmt::format("recovery assign: {}", rd_kafka_err2str(err))});
        }
        auto wb = db->make_batch();
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
                return std::unexpected(error{errc::storage, fmt::format("recovery read of {}[{}]: {}", lk::events_topic,
                                                                        p, rd_kafka_message_errstr(m.get()))});
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
            auto loaded = load(salon);
            if (!loaded) {
                return std::unexpected(loaded.error());
            }
            auto* state = *loaded;
            if (state == nullptr) {
                state = &states.emplace(salon.value(), salon_state{}).first->second;
                state->id = salon;
            }
            if (e->seq.value() <= state->seq.value()) {
                continue; // already folded into the stored state
            }
            if (e->seq.value() != state->seq.value() + 1) {
                return std::unexpected(
                    error{errc::corrupt, fmt::format("salon {}: event seq {} after {}", salon.value(), e->seq.value(),
                                                     state->seq.value())});
            }
            evolve(*state, *e);
            changed.insert(salon.value());
            stats.recovered_events.fetch_add(1, std::memory_order_relaxed);
        }
        for (auto const& salon : changed) {
            wb.put(store::family::state, salon, codec::encode_state(states.at(salon)));
        }
        std::string offset;
        log::put_u64(offset, static_cast<std::uint64_t>(next));
        wb.put(store::family::meta, events_offset_key(p), offset);
        if (auto written = db->write(wb, false); !written) {
            return std::unexpected(error{errc::storage, written.error().message});
        }
        owned.insert(p);
        committed_end[p] = next;
        if (trace) {
            std::fprintf(stderr, "take-over of partition %d: %.1f ms (restored up to offset %lld, folded to %lld)\n", p,
                         std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count(),
                         static_cast<long long>(from), static_cast<long long>(next));
        }
        return {};
    }

    void hand_over(std::int32_t p) {
        owned.erase(p);
        committed_end.erase(p);
        since_snapshot.erase(p);
        std::erase_if(states, [&](auto const& kv) { return log::partition_for(kv.first, partitions) == p; });
    }

    static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                             void* opaque) {
        auto* self = static_cast<impl*>(opaque);
        bool const cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
            self->ever_assigned = true;
            self->assigned_at = std::chrono::steady_clock::now();
            self->awaiting_first_decision = true;
            for (int i = 0; i < parts->cnt; ++i) {
                if (auto ok = self->take_over(parts->elems[i].partition); !ok) {
                    self->callback_error = ok.error();
                }
            }
            self->stats.recovery_us.fetch_add(std::chrono::duration_cast<std::chrono::microseconds>(
                                                  std::chrono::steady_clock::now() - self->assigned_at)
                                                  .count(),
                                              std::memory_order_relaxed);
            if (cooperative) {
                error_ptr e{rd_kafka_incremental_assign(rk, parts)};
            } else {
                (void)rd_kafka_assign(rk, parts);
            }
        } else {
            for (int i = 0; i < parts->cnt; ++i) {
                self->hand_over(parts->elems[i].partition);
            }
            if (cooperative) {
                error_ptr e{rd_kafka_incremental_unassign(rk, parts)};
            } else {
                (void)rd_kafka_assign(rk, nullptr);
            }
        }
    }

    static void on_delivery(rd_kafka_t*, rd_kafka_message_t const* m, void* opaque) {
        auto* self = static_cast<impl*>(opaque);
        auto const index = reinterpret_cast<std::uintptr_t>(m->_private);
        if (index < self->slots.size()) {
            self->slots[index].offset = m->offset;
            self->slots[index].err = m->err;
        }
    }

    // ---- the consume-decide-produce loop -----------------------------------------------------------------------

    std::vector<message_ptr> collect() {
        std::vector<message_ptr> batch;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds{100};
        bool first = true;
        while (batch.size() < options.max_batch && !stopping.load()) {
            auto const left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                break;
            }
            message_ptr m{rd_kafka_consumer_poll(consumer.get(), static_cast<int>(left.count()))};
            if (!m) {
                continue;
            }
            if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                continue; // transient consumer errors are retried by librdkafka
            }
            if (!owned.contains(m->partition)) {
                continue;
            }
            batch.push_back(std::move(m));
            if (first) {
                // The first message opens the batch; it closes after commit_interval, or when full.
                deadline = std::chrono::steady_clock::now() + options.commit_interval;
                first = false;
            }
        }
        return batch;
    }

    std::expected<void, error> produce(std::int32_t p, std::string_view key, std::string_view value,
                                       std::string_view type, char const* topic = lk::events_topic) {
        auto const index = slots.size();
        slots.push_back(delivery_slot{p, -1, RD_KAFKA_RESP_ERR_NO_ERROR, topic == lk::events_topic});
        for (;;) {
            auto err = rd_kafka_producev(
                producer.get(), RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p),
                RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_HEADER("type", type.data(), static_cast<ssize_t>(type.size())),
                RD_KAFKA_V_HEADER("v", "1", 1), RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(index)), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(producer.get(), 10);
                continue;
            }
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return std::unexpected(error{err == RD_KAFKA_RESP_ERR__FATAL ? errc::shutting_down : errc::storage,
                                             fmt::format("produce: {}", rd_kafka_err2str(err))});
            }
            return {};
        }
    }

    std::string invalid_record(rd_kafka_message_t const* m, codec::error const& e, instant at) {
        codec::json_writer w;
        w.begin_object().field("type", "command_invalid").field("v", std::int64_t{1});
        w.field("commandsPartition", m->partition).field("commandsOffset", m->offset);
        w.key("at").time(at);
        w.key("payload")
            .begin_object()
            .field("code", codec::to_string(e.code))
            .field("path", e.path)
            .field("message", e.message)
            .end_object();
        w.end_object();
        return w.str();
    }

    // Puts the consumer back at the committed offsets of the owned partitions (after an abort).
    std::expected<void, error> rewind() {
        partition_list_ptr list{rd_kafka_topic_partition_list_new(static_cast<int>(owned.size()))};
        for (auto p : owned) {
            rd_kafka_topic_partition_list_add(list.get(), lk::commands_topic, p);
        }
        if (auto err = rd_kafka_committed(consumer.get(), list.get(), 10000); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(error{errc::storage, fmt::format("committed offsets: {}", rd_kafka_err2str(err))});
        }
        for (int i = 0; i < list->cnt; ++i) {
            if (list->elems[i].offset < 0) {
                list->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
            }
        }
        error_ptr e{rd_kafka_seek_partitions(consumer.get(), list.get(), 10000)};
        if (e) {
            return std::unexpected(error{errc::storage, fmt::format("seek: {}", rd_kafka_error_string(e.get()))});
        }
        return {};
    }

    // The batch in flight: the committed states of the salons it touched, and whether a transaction is open.
    std::map<std::string, std::optional<salon_state>> before;
    bool in_transaction = false;

    static error txn_error(rd_kafka_error_t const* e, std::string_view what) {
        return error{rd_kafka_error_is_fatal(e) != 0 ? errc::shutting_down : errc::storage,
                     fmt::format("{}: {}", what, rd_kafka_error_string(e))};
    }

    // Gives up the batch in flight after a non-fatal error (a broker restart, a lost coordinator, a rebalance
    // that fenced the generation): aborts its transaction, puts its states back to their committed values and
    // rewinds the consumer to the committed offsets, so the same commands are decided again.
    std::expected<void, error> abandon() {
        stats.aborts.fetch_add(1, std::memory_order_relaxed);
        if (in_transaction) {
            in_transaction = false;
            if (error_ptr e{rd_kafka_abort_transaction(producer.get(), 30000)}; e && rd_kafka_error_is_fatal(e.get())) {
                return std::unexpected(txn_error(e.get(), "abort transaction"));
            }
        }
        for (auto const& [salon, old] : before) {
            if (old) {
                states.insert_or_assign(salon, *old);
            } else {
                states.erase(salon);
            }
        }
        before.clear();
        while (!stopping.load()) {
            if (rewind()) {
                return {};
            }
            rd_kafka_poll(producer.get(), 500); // the cluster is not answering yet: wait and try again
        }
        return {};
    }

    // Writes a snapshot round, in a transaction of its own, for each owned partition that is due. Called between
    // batches, so RocksDB holds exactly the committed fold. A failed round is retried after the next batch.
    std::expected<void, error> snapshot_if_due() {
        slots.clear();
        if (error_ptr e{rd_kafka_begin_transaction(producer.get())}) {
            return std::unexpected(txn_error(e.get(), "begin snapshot transaction"));
        }
        in_transaction = true;
        auto written = write_due_snapshots();
        if (!written || snapshot_round.empty()) {
            in_transaction = false;
            error_ptr aborted{rd_kafka_abort_transaction(producer.get(), 30000)};
            if (aborted && rd_kafka_error_is_fatal(aborted.get())) {
                return std::unexpected(txn_error(aborted.get(), "abort snapshot transaction"));
            }
            return {};
        }
        error_ptr failure{rd_kafka_commit_transaction(producer.get(), -1)};
        in_transaction = false;
        if (failure) {
            if (rd_kafka_error_is_fatal(failure.get())) {
                return std::unexpected(txn_error(failure.get(), "commit snapshot transaction"));
            }
            error_ptr aborted{rd_kafka_abort_transaction(producer.get(), 30000)};
            return {};
        }
        for (auto p : snapshot_round) {
            since_snapshot[p] = 0;
        }
        return {};
    }

    // Produces every salon of each due partition as committed, with the events offset it reflects.
    std::expected<void, error> write_due_snapshots() {
        snapshot_round.clear();
        if (options.snapshot_every == 0) {
            return {};
        }
        for (auto p : owned) {
            if (since_snapshot[p] >= options.snapshot_every) {
                snapshot_round.push_back(p);
            }
        }
        if (snapshot_round.empty()) {
            return {};
        }
        std::expected<void, error> result;
        auto scanned = db->scan(store::family::state, "", "", [&](std::string_view salon, std::string_view state) {
            auto const p = log::partition_for(salon, partitions);
            if (std::find(snapshot_round.begin(), snapshot_round.end(), p) == snapshot_round.end()) {
                return true;
            }
            result = produce(p, salon, snapshot_record(committed_end[p], state), "salon_snapshot", lk::snapshots_topic);
            stats.snapshots_written.fetch_add(1, std::memory_order_relaxed);
            return result.has_value();
        });
        if (!scanned) {
            return std::unexpected(error{errc::storage, scanned.error().message});
        }
        return result;
    }

    std::expected<void, error> process(std::vector<message_ptr> const& batch) {
        auto const batch_started = std::chrono::steady_clock::now();
        slots.clear();
        slots.reserve(batch.size() + 16);
        before.clear();
        if (error_ptr e{rd_kafka_begin_transaction(producer.get())}) {
            return std::unexpected(txn_error(e.get(), "begin transaction"));
        }
        in_transaction = true;
        std::map<std::int32_t, std::int64_t> next_offsets; // commands offsets to commit
        std::set<std::string> seen;
        std::vector<decided_command> decided;
        codec::json_writer w;
        for (auto const& m : batch) {
            next_offsets[m->partition] = m->offset + 1;
            auto const at = options.clock();
            auto decoded =
                codec::decode_command({static_cast<char const*>(m->payload), m->len}, codec::command_source::client);
            if (decoded && log::partition_for(decoded->salon.value(), partitions) != m->partition) {
                decoded = std::unexpected(codec::error{codec::errc::invalid_value, "salonId",
                                                       "the message is not on its salon's partition: key it by salonId "
                                                       "with the murmur2 partitioner"});
            }
            stats.commands.fetch_add(1, std::memory_order_relaxed);
            if (!decoded) {
                auto key = m->key ? std::string_view{static_cast<char const*>(m->key), m->key_len} : std::string_view{};
                if (auto ok =
                        produce(m->partition, key, invalid_record(m.get(), decoded.error(), at), "command_invalid");
                    !ok) {
                    return ok;
                }
                continue;
            }
            auto& c = *decoded;
            c.received_at = at;
            if (awaiting_first_decision) {
                awaiting_first_decision = false;
                stats.last_handover_us.store(std::chrono::duration_cast<std::chrono::microseconds>(
                                                 std::chrono::steady_clock::now() - assigned_at)
                                                 .count());
            }
            auto dkey = log::dedupe_key(c.salon, c.id);
            if (seen.contains(dkey)) {
                stats.duplicates.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            auto prior = recent_outcome(*db, dkey, c.received_at, options.dedupe_retention);
            if (!prior) {
                return std::unexpected(prior.error());
            }
            if (*prior) {
                stats.duplicates.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            seen.insert(dkey);
            auto loaded = load(c.salon);
            if (!loaded) {
                return std::unexpected(loaded.error());
            }
            if (!before.contains(c.salon.value())) {
                before.emplace(c.salon.value(), *loaded ? std::optional{**loaded} : std::nullopt);
            }
            salon_state fresh;
            fresh.id = c.salon;
            salon_state& state = *loaded ? **loaded : fresh;
            decided_command d{std::move(dkey), c.received_at, slots.size(), 0};
            auto entries = decide_and_apply(state, c);
            if (&state == &fresh && state.registered) {
                states.emplace(c.salon.value(), std::move(fresh));
            }
            for (auto const& entry : entries) {
                w.clear();
                std::string_view type;
                if (auto const* e = std::get_if<event>(&entry)) {
                    codec::write_event(w, *e);
                    type = type_name(e->body);
                } else {
                    codec::write_rejected(w, std::get<rejected_command>(entry));
                    type = "command_rejected";
                }
                if (auto ok = produce(m->partition, c.salon.value(), w.view(), type); !ok) {
                    return ok;
                }
                ++d.count;
            }
            decided.push_back(std::move(d));
        }

        auto const decided_at = std::chrono::steady_clock::now();
        stats.decide_us.fetch_add(
            std::chrono::duration_cast<std::chrono::microseconds>(decided_at - batch_started).count(),
            std::memory_order_relaxed);
        partition_list_ptr offsets{rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size()))};
        for (auto const& [p, o] : next_offsets) {
            rd_kafka_topic_partition_list_add(offsets.get(), lk::commands_topic, p)->offset = o;
        }
        group_metadata_ptr group{rd_kafka_consumer_group_metadata(consumer.get())};
        error_ptr failure{rd_kafka_send_offsets_to_transaction(producer.get(), offsets.get(), group.get(), -1)};
        auto const offsets_sent_at = std::chrono::steady_clock::now();
        if (!failure) {
            failure.reset(rd_kafka_commit_transaction(producer.get(), -1));
        }
        if (trace) {
            std::fprintf(
                stderr, "txn: %zu commands, decide %.1f ms, send_offsets %.1f ms, commit %.1f ms\n", batch.size(),
                std::chrono::duration<double, std::milli>(decided_at - batch_started).count(),
                std::chrono::duration<double, std::milli>(offsets_sent_at - decided_at).count(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - offsets_sent_at).count());
        }
        if (failure) {
            return std::unexpected(txn_error(failure.get(), "commit transaction"));
        }
        in_transaction = false;
        auto const committed_at = std::chrono::steady_clock::now();
        stats.commit_us.fetch_add(
            std::chrono::duration_cast<std::chrono::microseconds>(committed_at - decided_at).count(),
            std::memory_order_relaxed);
        stats.transactions.fetch_add(1, std::memory_order_relaxed);

        // Committed: now the cache of fold(events) may move on.
        auto wb = db->make_batch();
        std::map<std::int32_t, std::int64_t> events_end;
        for (auto const& slot : slots) {
            if (slot.event && slot.offset >= 0) {
                events_end[slot.partition] = std::max(events_end[slot.partition], slot.offset + 1);
                ++since_snapshot[slot.partition];
            }
        }
        for (auto const& [p, end] : events_end) {
            committed_end[p] = end;
        }
        for (auto const& d : decided) {
            if (d.count > 0 && slots[d.first_slot].offset >= 0) {
                wb.put(store::family::dedupe, d.dedupe_key,
                       dedupe_entry{d.received_at, partition_id{slots[d.first_slot].partition},
                                    offset_t{slots[d.first_slot].offset}, d.count}
                           .encode());
            }
        }
        for (auto const& [salon, old] : before) {
            if (auto it = states.find(salon); it != states.end() && it->second.registered) {
                wb.put(store::family::state, salon, codec::encode_state(it->second));
            }
        }
        for (auto const& [p, end] : events_end) {
            std::string v;
            log::put_u64(v, static_cast<std::uint64_t>(end));
            wb.put(store::family::meta, events_offset_key(p), v);
        }
        before.clear();
        if (auto written = db->write(wb, false); !written) {
            // Committed in Kafka but not cached: stop; a restart folds the events again.
            return std::unexpected(error{errc::corrupt, "state write after commit: " + written.error().message});
        }
        stats.store_us.fetch_add(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - committed_at)
                .count(),
            std::memory_order_relaxed);
        return {};
    }
};

kafka_engine::kafka_engine(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

kafka_engine::~kafka_engine() {
    if (impl_->consumer) {
        if (impl_->ever_assigned) {
            // librdkafka 2.0.2 may crash closing a cooperative consumer that never had an assignment.
            (void)rd_kafka_consumer_close(impl_->consumer.get()); // leaves the group: partitions move at once
        } else {
            rd_kafka_destroy_flags(impl_->consumer.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        }
    }
}

std::expected<std::unique_ptr<kafka_engine>, error> kafka_engine::open(kafka_engine_options options) {
    auto state = std::make_unique<impl>();
    if (!options.clock) {
        options.clock = [] {
            return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
        };
    }
    state->options = std::move(options);
    auto const& o = state->options;

    // Topics just created may not be in every broker's metadata yet: wait for them a while. Topics that exist
    // with different partition counts are refused at once below.
    auto layout = lk::describe_topics(o.kafka);
    for (int attempt = 0; attempt < 30 && layout && !(layout->commands && layout->events); ++attempt) {
        std::this_thread::sleep_for(std::chrono::seconds{1});
        layout = lk::describe_topics(o.kafka);
    }
    if (!layout) {
        return std::unexpected(error{errc::storage, layout.error().message});
    }
    auto partitions = lk::check_layout(*layout);
    if (!partitions) {
        return std::unexpected(error{errc::config_mismatch, partitions.error().message});
    }
    state->partitions = *partitions;

    auto db = store::rocks_store::open(o.data, store::open_options{true, false, o.dedupe_retention});
    if (!db) {
        return std::unexpected(error{errc::storage, db.error().message});
    }
    state->db = std::move(*db);

    auto* self = state.get();
    auto producer = lk::make_client(
        o.kafka, RD_KAFKA_PRODUCER,
        {{"transactional.id", o.group + "-" + o.instance},
         {"enable.idempotence", "true"},
         {"acks", "all"},
         {"linger.ms", "1"},
         {"partitioner", "murmur2_random"},
         {"transaction.timeout.ms", "30000"},
         // Right after a commit the coordinator answers CONCURRENT_TRANSACTIONS until the previous markers are
         // written; the default 100 ms retry back-off put ~110 ms into every send_offsets_to_transaction
         // (measured on a local broker). With 2 ms retries a transaction costs ~40 ms.
         {"retry.backoff.ms", "2"}},
        [](rd_kafka_conf_t* conf, void* opaque) {
            rd_kafka_conf_set_dr_msg_cb(conf, &impl::on_delivery);
            rd_kafka_conf_set_opaque(conf, opaque);
        },
        self);
    if (!producer) {
        return std::unexpected(error{errc::storage, producer.error().message});
    }
    state->producer = std::move(*producer);
    if (error_ptr e{rd_kafka_init_transactions(state->producer.get(), 30000)}) {
        return std::unexpected(
            error{errc::storage, fmt::format("init transactions: {}", rd_kafka_error_string(e.get()))});
    }

    auto consumer = lk::make_client(
        o.kafka, RD_KAFKA_CONSUMER,
        {{"group.id", o.group},
         {"partition.assignment.strategy", "cooperative-sticky"},
         {"isolation.level", "read_committed"},
         {"enable.auto.commit", "false"},
         {"enable.auto.offset.store", "false"},
         {"auto.offset.reset", "earliest"},
         {"session.timeout.ms", std::to_string(o.session_timeout.count())},
         {"heartbeat.interval.ms", std::to_string(o.session_timeout.count() / 3)},
         {"fetch.wait.max.ms", "5"}},
        [](rd_kafka_conf_t* conf, void* opaque) {
            rd_kafka_conf_set_rebalance_cb(conf, &impl::on_rebalance);
            rd_kafka_conf_set_opaque(conf, opaque);
        },
        self);
    if (!consumer) {
        return std::unexpected(error{errc::storage, consumer.error().message});
    }
    state->consumer = std::move(*consumer);
    rd_kafka_poll_set_consumer(state->consumer.get());
    partition_list_ptr topics{rd_kafka_topic_partition_list_new(1)};
    rd_kafka_topic_partition_list_add(topics.get(), lk::commands_topic, RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(state->consumer.get(), topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::storage, fmt::format("subscribe: {}", rd_kafka_err2str(err))});
    }
    return std::unique_ptr<kafka_engine>(new kafka_engine(std::move(state)));
}

std::expected<void, error> kafka_engine::run() {
    auto& s = *impl_;
    while (!s.stopping.load()) {
        auto batch = s.collect();
        if (s.callback_error) {
            return std::unexpected(*s.callback_error);
        }
        if (batch.empty()) {
            continue;
        }
        auto ok = s.process(batch);
        if (ok && s.options.snapshot_every > 0 && std::any_of(s.owned.begin(), s.owned.end(), [&](std::int32_t p) {
                return s.since_snapshot[p] >= s.options.snapshot_every;
            })) {
            ok = s.snapshot_if_due();
        }
        if (!ok) {
            if (ok.error().code != errc::storage) {
                return ok; // fenced, fatal, or the local store failed
            }
            std::fprintf(stderr, "salonq engine %s: batch abandoned, deciding it again: %s\n",
                         s.options.instance.c_str(), ok.error().message.c_str());
            if (auto abandoned = s.abandon(); !abandoned) {
                return abandoned;
            }
        }
    }
    return {};
}

void kafka_engine::stop() noexcept { impl_->stopping.store(true); }
kafka_engine_stats const& kafka_engine::stats() const noexcept { return impl_->stats; }

} // namespace salonq::engine::runtime
