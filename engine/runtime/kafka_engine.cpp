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
#include "engine/runtime/kafka_committer.hpp"
#include "engine/runtime/kafka_recovery.hpp"
#include "engine/store/rocks_store.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <thread>
#include <unordered_set>

namespace salonq::engine::runtime {
namespace {

using namespace log::kafka::detail;
namespace lk = log::kafka;
namespace kd = kafka_detail;
using steady = std::chrono::steady_clock;

std::int64_t us_since(steady::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t).count();
}

// The salons a batch touched, as they were before it: what an abandoned batch puts back.
using prior_states = std::map<std::string, std::optional<salon_state>>;

} // namespace

// The deciding half of the worker runs on the thread that calls run(): it owns the consumer and the state cache,
// and decides each command as it arrives into the open batch. The committing half (kafka_committer) runs batch
// n's transaction meanwhile. The open batch closes once commit_interval has passed since its first command and
// the committer is free, or when it is full: under load batches grow while the previous one commits.
struct kafka_engine::impl {
    kafka_engine_options options;
    kafka_engine_stats stats;
    std::atomic<bool> stopping{false};
    bool const trace = std::getenv("SALONQ_TRACE_TXN") != nullptr; // per-transaction timing on stderr
    std::unique_ptr<store::rocks_store> db;
    std::int32_t partitions = 0;
    handle_ptr consumer;
    std::unique_ptr<kd::kafka_committer> committer;
    std::set<std::int32_t> owned;
    bool ever_assigned = false;
    state_cache states; // salons of owned partitions: as committed, plus the batches in flight
    std::optional<error> callback_error;
    bool rewind_needed = false; // a batch was abandoned inside a rebalance callback
    steady::time_point assigned_at{};
    bool awaiting_first_decision = false;

    kd::kafka_batch open_batch; // being decided
    steady::time_point opened_at{};
    prior_states open_prior;
    std::vector<std::string> open_keys; // its dedupe keys
    prior_states flight_prior;          // of the batch the committer has
    std::vector<std::string> flight_keys;
    std::uint64_t flight_number = 0;
    bool in_flight = false; // submitted, its result not settled yet
    bool closing = false;   // run() has returned: a rebalance callback (at close) only hands partitions over
    std::deque<std::pair<std::uint64_t, std::vector<std::string>>> unstored; // committed, RocksDB not written yet
    std::unordered_set<std::string> pending_keys; // dedupe keys decided but not yet in RocksDB
    codec::json_writer writer;

    // ---- rebalancing -----------------------------------------------------------------------------------------

    // Everything decided so far is committed before partitions move: the batch in flight, then the open one (a
    // revoked partition is still ours until the callback returns). If that fails, it is abandoned.
    void settle_before_rebalance(bool lost) {
        if (closing) {
            return; // what was decided is already committed or given up
        }
        if (lost) {
            // The group has moved on without us: committing now could slip past fencing (the generation is
            // unknown). The batch in flight either commits or fails on its own; the open one is given up.
            (void)settle(committer->wait());
            if (auto stored = committer->drain(); !stored && stored.error().code != errc::storage) {
                callback_error = stored.error();
            }
            forget_stored();
            restore_prior();
            rewind_needed = true;
            return;
        }
        auto done = flush();
        if (!done) {
            if (done.error().code != errc::storage) {
                callback_error = done.error();
                return;
            }
            report_abandoned(done.error());
            restore_prior();
            rewind_needed = true; // after the callback: the consumer is past what was abandoned
        }
    }

    static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                             void* opaque) {
        auto* self = static_cast<impl*>(opaque);
        bool const cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
        self->settle_before_rebalance(err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS && rd_kafka_assignment_lost(rk) != 0);
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
            self->ever_assigned = true;
            self->assigned_at = steady::now();
            self->awaiting_first_decision = true;
            self->wait_for_stable_offsets(rk, parts);
            for (int i = 0; i < parts->cnt; ++i) {
                if (auto ok = self->take_over(parts->elems[i].partition); !ok) {
                    self->callback_error = ok.error();
                }
            }
            self->stats.recovery_us.fetch_add(us_since(self->assigned_at), std::memory_order_relaxed);
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

    // KIP-447: a read_committed consumer fetches committed offsets "stable": while the previous owner of a
    // partition still has a transaction open with offsets for it (a zombie that sent them before it was fenced),
    // the fetch waits until that transaction commits or aborts. Done before folding, so that a transaction which
    // commits late is in the fold rather than after it.
    void wait_for_stable_offsets(rd_kafka_t* rk, rd_kafka_topic_partition_list_t const* parts) {
        partition_list_ptr offsets{rd_kafka_topic_partition_list_copy(parts)};
        while (!stopping.load()) {
            auto const e = rd_kafka_committed(rk, offsets.get(), 15000);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
                return;
            }
            std::fprintf(stderr, "salonq engine %s: waiting for the committed offsets of new partitions: %s\n",
                         options.instance.c_str(), rd_kafka_err2str(e));
        }
    }

    std::expected<void, error> take_over(std::int32_t p) {
        auto end = kd::recover_partition(kd::recovery_context{options, *db, states, stats, trace}, p);
        if (!end) {
            return std::unexpected(end.error());
        }
        owned.insert(p);
        committer->adopt(p, *end);
        return {};
    }

    void hand_over(std::int32_t p) {
        owned.erase(p);
        committer->release(p);
        std::erase_if(states, [&](auto const& kv) { return log::partition_for(kv.first, partitions) == p; });
    }

    // ---- deciding ----------------------------------------------------------------------------------------------

    std::string invalid_record(rd_kafka_message_t const* m, codec::error const& e, instant at) {
        writer.clear();
        writer.begin_object().field("type", "command_invalid").field("v", std::int64_t{1});
        writer.field("commandsPartition", m->partition).field("commandsOffset", m->offset);
        writer.key("at").time(at);
        writer.key("payload")
            .begin_object()
            .field("code", codec::to_string(e.code))
            .field("path", e.path)
            .field("message", e.message)
            .end_object();
        writer.end_object();
        return writer.str();
    }

    // Decides one command message into the open batch, on top of the states as the batches before left them.
    // The message counts in the batch (its offset is committed with it) only once it has an outcome.
    std::expected<void, error> decide(rd_kafka_message_t const* m) {
        auto const started = steady::now();
        auto decided = decide_into(open_batch, m);
        if (!decided) {
            return decided;
        }
        if (open_batch.empty()) {
            opened_at = started;
        }
        ++open_batch.commands;
        open_batch.next_offsets[m->partition] = m->offset + 1;
        stats.commands.fetch_add(1, std::memory_order_relaxed);
        stats.decide_us.fetch_add(us_since(started), std::memory_order_relaxed);
        return {};
    }

    // A local store that cannot be read will not be readable by deciding the batch again: the worker stops.
    static error local_store_error(error e) {
        e.code = errc::corrupt;
        e.message = "local store: " + e.message;
        return e;
    }

    std::expected<void, error> decide_into(kd::kafka_batch& batch, rd_kafka_message_t const* m) {
        auto const at = options.clock();
        auto decoded =
            codec::decode_command({static_cast<char const*>(m->payload), m->len}, codec::command_source::client);
        if (decoded && log::partition_for(decoded->salon.value(), partitions) != m->partition) {
            decoded = std::unexpected(codec::error{codec::errc::invalid_value, "salonId",
                                                   "the message is not on its salon's partition: key it by salonId "
                                                   "with the murmur2 partitioner"});
        }
        if (!decoded) {
            auto key = m->key ? std::string_view{static_cast<char const*>(m->key), m->key_len} : std::string_view{};
            batch.add(m->partition, key, invalid_record(m, decoded.error(), at), "command_invalid");
            return {};
        }
        auto& c = *decoded;
        c.received_at = at;
        if (awaiting_first_decision) {
            awaiting_first_decision = false;
            stats.last_handover_us.store(us_since(assigned_at));
        }
        auto dkey = log::dedupe_key(c.salon, c.id);
        if (pending_keys.contains(dkey)) {
            stats.duplicates.fetch_add(1, std::memory_order_relaxed);
            return {};
        }
        auto prior = recent_outcome(*db, dkey, c.received_at, options.dedupe_retention);
        if (!prior) {
            return std::unexpected(local_store_error(prior.error()));
        }
        if (*prior) {
            stats.duplicates.fetch_add(1, std::memory_order_relaxed);
            return {};
        }
        auto loaded = load_state(*db, states, c.salon);
        if (!loaded) {
            return std::unexpected(local_store_error(loaded.error()));
        }
        if (!open_prior.contains(c.salon.value())) {
            open_prior.emplace(c.salon.value(), *loaded ? std::optional{**loaded} : std::nullopt);
        }
        salon_state fresh;
        fresh.id = c.salon;
        salon_state& state = *loaded ? **loaded : fresh;
        kd::decided_command d{dkey, c.received_at, batch.records.size(), 0};
        auto entries = decide_and_apply(state, c);
        if (&state == &fresh && state.registered) {
            states.emplace(c.salon.value(), std::move(fresh));
        }
        for (auto const& entry : entries) {
            writer.clear();
            std::string_view type;
            if (auto const* e = std::get_if<event>(&entry)) {
                codec::write_event(writer, *e);
                type = type_name(e->body);
            } else {
                codec::write_rejected(writer, std::get<rejected_command>(entry));
                type = "command_rejected";
            }
            batch.add(m->partition, c.salon.value(), writer.view(), type);
            ++d.count;
        }
        batch.decided.push_back(std::move(d));
        pending_keys.insert(dkey);
        open_keys.push_back(std::move(dkey));
        return {};
    }

    // ---- handing batches to the committer ------------------------------------------------------------------------

    // Closes the open batch (its states as they stand now, the group generation it was decided in) and hands it
    // to the committer. Precondition: the committer is idle.
    std::expected<void, error> submit_open() {
        // The batch before must be settled first: its result (a failure above all) may have arrived since the
        // last look, and the next submit would overwrite it.
        if (auto before = settle(committer->wait()); !before) {
            return before;
        }
        if (trace) {
            std::fprintf(stderr, "batch closed: %zu commands, %.1f ms after its first (deciding so far %.1f ms)\n",
                         open_batch.commands,
                         std::chrono::duration<double, std::milli>(steady::now() - opened_at).count(),
                         static_cast<double>(stats.decide_us.load()) / 1000.0);
        }
        for (auto const& [salon, before] : open_prior) {
            if (auto it = states.find(salon); it != states.end() && it->second.registered) {
                open_batch.states.emplace_back(salon, codec::encode_state(it->second));
            }
        }
        open_batch.group.reset(rd_kafka_consumer_group_metadata(consumer.get()));
        flight_number = committer->submit(std::exchange(open_batch, kd::kafka_batch{}));
        in_flight = true;
        flight_prior = std::exchange(open_prior, {});
        flight_keys = std::exchange(open_keys, {});
        return {};
    }

    // Takes note of the committer's result for the batch in flight (if one is: wait() also answers success when
    // there is nothing to wait for). A failed batch keeps its prior states and keys for restore_prior().
    std::expected<void, error> settle(std::expected<void, error> result) {
        if (!in_flight) {
            return result;
        }
        in_flight = false;
        if (result) {
            if (!flight_keys.empty()) {
                unstored.emplace_back(flight_number, std::move(flight_keys));
                flight_keys.clear();
            }
            flight_prior.clear();
        }
        return result;
    }

    // The dedupe keys of batches RocksDB now holds need not be remembered here any more.
    void forget_stored() {
        auto const through = committer->stored_through();
        while (!unstored.empty() && unstored.front().first <= through) {
            for (auto const& k : unstored.front().second) {
                pending_keys.erase(k);
            }
            unstored.pop_front();
        }
    }

    // Commits the batch in flight and then the open one, and waits until RocksDB holds them; returns the first
    // failure.
    std::expected<void, error> flush() {
        auto done = settle(committer->wait());
        if (done && !open_batch.empty()) {
            done = submit_open();
            if (done) {
                done = settle(committer->wait());
            }
        }
        if (auto stored = committer->drain(); !stored && done) {
            done = stored;
        }
        forget_stored();
        return done;
    }

    // ---- giving batches up -----------------------------------------------------------------------------------------

    void report_abandoned(error const& e) const {
        std::fprintf(stderr, "salonq engine %s: batch abandoned, deciding it again: %s\n", options.instance.c_str(),
                     e.message.c_str());
    }

    // Drops the open batch and the failed one in flight: their states go back to the committed values.
    void restore_prior() {
        for (auto* prior : {&open_prior, &flight_prior}) { // the open batch was decided on top of the one in flight
            for (auto const& [salon, old] : *prior) {
                if (old) {
                    states.insert_or_assign(salon, *old);
                } else {
                    states.erase(salon);
                }
            }
            prior->clear();
        }
        for (auto* keys : {&open_keys, &flight_keys}) {
            for (auto const& k : *keys) {
                pending_keys.erase(k);
            }
            keys->clear();
        }
        open_batch = kd::kafka_batch{};
    }

    // Puts the consumer back at the committed offsets of the owned partitions.
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

    void rewind_until_done() {
        rewind_needed = false;
        while (!stopping.load() && !rewind()) {
            std::this_thread::sleep_for(std::chrono::milliseconds{500}); // the cluster is not answering yet
        }
    }

    // After a failure: a fatal one (fenced, the local store) stops the worker; otherwise (a broker restart, a
    // lost coordinator, a rebalance that fenced the generation) the batches not committed are given up and the
    // same commands are decided again from the committed offsets.
    std::expected<void, error> recover_from(error const& failure) {
        if (failure.code != errc::storage) {
            return std::unexpected(failure);
        }
        report_abandoned(failure);
        // A batch still in flight (the failure was in deciding) may yet commit: then only the open one goes.
        if (auto other = settle(committer->wait()); !other && other.error().code != errc::storage) {
            return std::unexpected(other.error());
        }
        restore_prior();
        rewind_until_done();
        return {};
    }

    // ---- the loop ------------------------------------------------------------------------------------------------

    int poll_timeout_ms() const {
        if (open_batch.empty()) {
            return committer->busy() ? 5 : 100;
        }
        auto const left =
            std::chrono::duration_cast<std::chrono::milliseconds>(opened_at + options.commit_interval - steady::now())
                .count();
        return left > 0 ? static_cast<int>(left) : 1; // due: wait for the committer in short steps
    }

    bool open_batch_due() const {
        if (open_batch.empty()) {
            return false;
        }
        return open_batch.commands >= options.max_batch || steady::now() >= opened_at + options.commit_interval;
    }

    std::expected<void, error> step() {
        message_ptr m{rd_kafka_consumer_poll(consumer.get(), poll_timeout_ms())};
        if (callback_error) {
            return std::unexpected(*callback_error);
        }
        if (rewind_needed) {
            rewind_until_done(); // the message polled (if any) is past the committed offsets: decided again later
            return {};
        }
        if (m && m->err == RD_KAFKA_RESP_ERR_NO_ERROR && owned.contains(m->partition)) {
            if (auto decided = decide(m.get()); !decided) {
                return recover_from(decided.error());
            }
        }
        forget_stored();
        if (auto result = committer->finished()) {
            if (auto done = settle(std::move(*result)); !done) {
                return recover_from(done.error());
            }
        }
        if (!open_batch_due()) {
            return {};
        }
        if (committer->busy() && open_batch.commands < options.max_batch) {
            return {}; // keep filling while the batch before commits
        }
        if (auto submitted = submit_open(); !submitted) {
            return recover_from(submitted.error());
        }
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

    auto committer =
        kd::kafka_committer::open(kd::committer_options{o.kafka, o.group + "-" + o.instance, state->partitions,
                                                        o.snapshot_every, state->trace, o.inject_abort_every},
                                  *state->db, state->stats);
    if (!committer) {
        return std::unexpected(committer.error());
    }
    state->committer = std::move(*committer);

    auto* self = state.get();
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
    std::expected<void, error> result;
    while (result && !s.stopping.load()) {
        result = s.step();
    }
    if (result) {
        // Stopping: what was decided is committed (a failure leaves it to the next owner, from the committed
        // offsets).
        if (auto done = s.flush(); !done && done.error().code != errc::storage) {
            result = done;
        }
    } else {
        (void)s.committer->wait(); // a fatal error: the batch in flight ends one way or the other
    }
    // Whatever is still decided but not committed is given up; a rebalance at close only hands partitions over.
    s.restore_prior();
    s.closing = true;
    return result;
}

void kafka_engine::stop() noexcept { impl_->stopping.store(true); }
kafka_engine_stats const& kafka_engine::stats() const noexcept { return impl_->stats; }

} // namespace salonq::engine::runtime
