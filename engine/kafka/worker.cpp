#include "engine/kafka/detail/worker_impl.hpp"

#include "engine/kafka/admin.hpp"
#include "engine/kafka/detail/client.hpp"
#include "engine/store/rocks_store.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <thread>

namespace salonq::engine::kafka {
namespace {

using namespace kafka::detail;
namespace lk = kafka;
namespace kd = detail;
using kd::steady;

} // namespace

std::expected<void, error> worker::impl::submit_open() {
    // The batch before must be settled first: its result (a failure above all) may have arrived since the
    // last look, and the next submit would overwrite it.
    if (auto before = pipeline.settle(committer->wait()); !before) {
        return before;
    }
    auto const opened_at = pipeline.opened_at();
    auto batch = pipeline.close(steady::now());
    if (trace) {
        trace_closed(batch, opened_at);
    }
    batch.group.reset(rd_kafka_consumer_group_metadata(consumer.get()));
    pipeline.submitted(committer->submit(std::move(batch)));
    return {};
}

void worker::impl::trace_closed(kd::kafka_batch const& batch, steady::time_point opened_at) const {
    std::size_t state_bytes = 0;
    for (auto const& [salon, state] : batch.states) {
        state_bytes += state.size();
    }
    log.info("batch closed: {} commands, {:.1f} ms after its first (deciding so far {:.1f} ms); {} salon states, {} "
             "bytes",
             batch.commands, std::chrono::duration<double, std::milli>(steady::now() - opened_at).count(),
             static_cast<double>(stats.decide_us.load()) / 1000.0, batch.states.size(), state_bytes);
}

void worker::impl::forget_stored() { pending.stored_through(committer->stored_through()); }

std::expected<void, error> worker::impl::flush() {
    auto done = pipeline.settle(committer->wait());
    if (done && !pipeline.empty()) {
        done = submit_open();
        if (done) {
            done = pipeline.settle(committer->wait());
        }
    }
    if (auto stored = committer->drain(); !stored && done) {
        done = stored;
    }
    forget_stored();
    auto const changed = sweep.take_all(); // the sweep is given up: every changed salon is written now
    if (done) { // even with no salon changed: the offsets may have moved (command_invalid records)
        done = committer->checkpoint(runtime::encoded_states(states, changed));
        if (done) {
            sweep.checkpointed(steady::now());
        }
    }
    return done;
}

void worker::impl::report_abandoned(error const& e) const {
    log.warn("batch abandoned, deciding it again: {}", e.message);
}

std::expected<void, error> worker::impl::rewind() {
    auto list = ownership.owned_list();
    if (auto err = rd_kafka_committed(consumer.get(), list.get(), 10000); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::retryable, fmt::format("committed offsets: {}", rd_kafka_err2str(err))});
    }
    for (int i = 0; i < list->cnt; ++i) {
        if (list->elems[i].offset < 0) {
            list->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        }
    }
    error_ptr e{rd_kafka_seek_partitions(consumer.get(), list.get(), 10000)};
    if (e) {
        return std::unexpected(error{errc::retryable, fmt::format("seek: {}", rd_kafka_error_string(e.get()))});
    }
    return {};
}

void worker::impl::rewind_until_done() {
    ownership.rewinding();
    while (!stopping.load() && !rewind()) {
        std::this_thread::sleep_for(std::chrono::milliseconds{500}); // the cluster is not answering yet
    }
}

std::expected<void, error> worker::impl::recover_from(error const& failure) {
    if (failure.code != errc::retryable) {
        return std::unexpected(failure);
    }
    report_abandoned(failure);
    // A batch still in flight (the failure was in deciding) may yet commit: then only the open one goes.
    if (auto other = pipeline.settle(committer->wait()); !other && other.error().code != errc::retryable) {
        return std::unexpected(other.error());
    }
    pipeline.restore_prior();
    rewind_until_done();
    return {};
}

int worker::impl::poll_timeout_ms() const {
    if (pipeline.empty()) {
        return committer->busy() ? 5 : 100;
    }
    auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(pipeline.time_left(steady::now())).count();
    return left > 0 ? static_cast<int>(left) : 1; // due: wait for the committer in short steps
}

std::expected<void, error> worker::impl::step() {
    message_ptr m{rd_kafka_consumer_poll(consumer.get(), poll_timeout_ms())};
    if (auto const& failure = ownership.failure()) {
        return std::unexpected(*failure);
    }
    if (ownership.rewind_needed()) {
        rewind_until_done(); // the message polled (if any) is past the committed offsets: decided again later
        return {};
    }
    if (m && m->err == RD_KAFKA_RESP_ERR_NO_ERROR && ownership.owns(m->partition)) {
        if (auto decided = decide(m.get()); !decided) {
            return recover_from(decided.error());
        }
    }
    forget_stored();
    if (auto result = committer->finished()) {
        if (auto done = pipeline.settle(std::move(*result)); !done) {
            return recover_from(done.error());
        }
    }
    bool const idle = pipeline.empty() && !pipeline.in_flight();
    if (idle && sweep.due_when_idle(steady::now())) {
        // Idle: what the last batches decided reaches RocksDB now, not with the next batch (which may be days
        // away, past the events topic's retention, or never).
        if (auto done = flush(); !done) {
            return recover_from(done.error());
        }
        return {};
    }
    if (idle && !ownership.owns_none() && steady::now() >= last_round_request + round_check) {
        // Idle: a partition whose last snapshot round got old gets one now, not at its next batch.
        last_round_request = steady::now();
        committer->request_round(group_metadata_ptr{rd_kafka_consumer_group_metadata(consumer.get())});
    }
    if (!pipeline.due(steady::now())) {
        return {};
    }
    if (committer->busy() && !pipeline.full()) {
        return {}; // keep filling while the batch before commits
    }
    if (auto submitted = submit_open(); !submitted) {
        return recover_from(submitted.error());
    }
    return {};
}

worker::worker(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

worker::~worker() {
    if (!impl_->consumer) {
        return;
    }
    // Closing leaves the group, so the partitions move at once. librdkafka 2.0.2 can hang in it after a
    // cooperative assignment was lost (seen once in the SIGSTOP test), so it gets a bounded time: if it does not
    // finish, the group notices by the session timeout instead, and the worker's state is left to the process
    // exit (the closing thread may still call back into it). RocksDB, which has no WAL, then keeps what it last
    // flushed, and the next start folds the events from there.
    if (kd::leave_group(impl_->consumer, impl_->ownership.ever_assigned(), std::chrono::seconds{15})) {
        return;
    }
    impl_->log.warn("leaving the consumer group did not finish within 15 s; the group will notice by the session "
                    "timeout");
    (void)impl_.release();
}

namespace {

// The topics' layout once `ready` holds of it, or as it is after 30 s: topics just created reach every broker's
// metadata a moment later.
template <typename Ready>
[[nodiscard]] std::expected<lk::topic_layout, error> described_when(settings const& s, Ready const& ready) {
    auto layout = lk::describe_topics(s);
    for (int attempt = 0; attempt < 30 && layout && !ready(*layout); ++attempt) {
        std::this_thread::sleep_for(std::chrono::seconds{1});
        layout = lk::describe_topics(s);
    }
    return layout;
}

} // namespace

std::expected<std::unique_ptr<worker>, error> worker::open(worker_options options) {
    if (!options.clock) {
        options.clock = wall_now;
    }
    auto state = std::make_unique<impl>(std::move(options));
    auto const& o = state->options;

    // Topics with different partition counts are refused as soon as both are seen; the snapshots topic is then
    // waited for too, since its record limit must be checked.
    auto layout = described_when(o.kafka, [](lk::topic_layout const& l) { return l.commands && l.events; });
    if (!layout) {
        return std::unexpected(layout.error());
    }
    auto partitions = lk::check_layout(*layout);
    if (!partitions) {
        return std::unexpected(error{errc::misconfigured, partitions.error().message});
    }
    layout = described_when(o.kafka, [](lk::topic_layout const& l) { return l.commands && l.events && l.snapshots; });
    if (!layout) {
        return std::unexpected(layout.error());
    }
    if (!layout->snapshots) {
        // Producing to it would let a broker that auto-creates topics make it with the default ~1 MB record limit.
        return std::unexpected(error{
            errc::misconfigured, fmt::format("{} does not exist: run `salonq topics create`", lk::snapshots_topic)});
    }
    if (auto fits = lk::check_snapshot_record_limit(*layout); !fits) {
        return std::unexpected(fits.error()); // misconfigured (too small) or retryable (the limit is unknown)
    }
    if (auto const kept = layout->events_retention_ms.value_or(-1);
        kept >= 0 && std::chrono::milliseconds{kept} < o.dedupe_retention + o.snapshot_max_age) {
        state->log.warn("{} keeps events for {} ms only, less than the dedupe window plus the snapshots' age: a "
                        "worker restoring a partition may not know every commandId of the window, or may find no state "
                        "it can fold from",
                        lk::events_topic, kept);
    }
    state->partitions = *partitions;

    auto db = store::rocks_store::open(o.data, store::open_options{true, false, o.dedupe_retention, true});
    if (!db) {
        return std::unexpected(error{errc::local_store, db.error().message});
    }
    state->db = std::move(*db);

    auto committer = kd::kafka_committer::open(
        kd::committer_options{o.kafka, o.group + "-" + o.instance, state->partitions, o.snapshot_every,
                              o.snapshot_max_age, state->trace, o.inject_abort_every, o.inject_round_failure_every,
                              o.dedupe_retention, o.clock, o.instance},
        *state->db, state->stats);
    if (!committer) {
        return std::unexpected(committer.error());
    }
    state->committer = std::move(*committer);

    auto* self = state.get();
    auto consumer = kd::make_group_member(o.kafka, o.group, kd::handover::cooperative, o.session_timeout,
                                          &impl::on_rebalance, self);
    if (!consumer) {
        return std::unexpected(consumer.error());
    }
    state->consumer = std::move(*consumer);
    rd_kafka_poll_set_consumer(state->consumer.get());
    partition_list_ptr topics{rd_kafka_topic_partition_list_new(1)};
    rd_kafka_topic_partition_list_add(topics.get(), lk::commands_topic, RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(state->consumer.get(), topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::retryable, fmt::format("subscribe: {}", rd_kafka_err2str(err))});
    }
    return std::unique_ptr<worker>(new worker(std::move(state)));
}

std::expected<void, error> worker::run() {
    auto& s = *impl_;
    std::expected<void, error> result;
    while (result && !s.stopping.load()) {
        result = s.step();
    }
    if (result) {
        // Stopping: what was decided is committed (a failure leaves it to the next owner, from the committed
        // offsets).
        if (auto done = s.flush(); !done && done.error().code != errc::retryable) {
            result = done;
        }
    } else {
        (void)s.committer->wait(); // a fatal error: the batch in flight ends one way or the other
    }
    // Whatever is still decided but not committed is given up; a rebalance at close only hands partitions over.
    s.pipeline.restore_prior();
    s.ownership.close();
    return result;
}

void worker::stop() noexcept { impl_->stopping.store(true); }
worker_stats const& worker::stats() const noexcept { return impl_->stats; }

} // namespace salonq::engine::kafka
