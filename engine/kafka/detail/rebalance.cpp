// The Kafka worker when the group moves partitions: commit (or give up) what was decided, wait for stable
// committed offsets, take partitions over (recovery) or hand them over.

#include "engine/kafka/detail/worker_impl.hpp"

#include "engine/kafka/detail/recovery.hpp"
#include "engine/log/partitioner.hpp"

#include <cstdio>
#include <cstring>
#include <thread>

namespace salonq::engine::kafka {
namespace {

using namespace kafka::detail;
namespace kd = detail;
using kd::steady;
using kd::us_since;

} // namespace

void worker::impl::settle_before_rebalance(bool lost) {
    if (ownership.closing()) {
        return; // what was decided is already committed or given up
    }
    if (lost) {
        // The group has moved on without us: committing now could slip past fencing (the generation is
        // unknown). The batch in flight either commits or fails on its own; the open one is given up.
        (void)pipeline.settle(committer->wait());
        if (auto stored = committer->drain(); !stored && stored.error().code != errc::retryable) {
            ownership.fail(stored.error());
        }
        forget_stored();
        pipeline.restore_prior();
        ownership.rewind_later();
        return;
    }
    auto done = flush();
    if (!done) {
        if (done.error().code != errc::retryable) {
            ownership.fail(done.error());
            return;
        }
        report_abandoned(done.error());
        pipeline.restore_prior();
        ownership.rewind_later(); // after the callback: the consumer is past what was abandoned
    }
}

void worker::impl::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                                void* opaque) {
    auto* self = static_cast<impl*>(opaque);
    bool const cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    self->settle_before_rebalance(err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS && rd_kafka_assignment_lost(rk) != 0);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        self->ownership.assigned();
        auto const assigned_at = steady::now();
        self->wait_for_stable_offsets(rk, parts);
        // A take-over cut short by a stop is no failure: the partition is not owned, nothing is decided for it, and
        // the partitions after it are not taken over.
        for (int i = 0; i < parts->cnt && !self->stopping.load(); ++i) {
            if (auto ok = self->take_over(parts->elems[i].partition); !ok && !self->stopping.load()) {
                self->ownership.fail(ok.error());
            }
        }
        // From the assignment until the worker can decide on what it was given (not until a command comes).
        auto const took = us_since(assigned_at);
        self->stats.recovery_us.fetch_add(took, std::memory_order_relaxed);
        self->stats.last_takeover_us.store(took, std::memory_order_relaxed);
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

void worker::impl::wait_for_stable_offsets(rd_kafka_t* rk, rd_kafka_topic_partition_list_t const* parts) {
    partition_list_ptr offsets{rd_kafka_topic_partition_list_copy(parts)};
    while (!stopping.load()) {
        auto const e = rd_kafka_committed(rk, offsets.get(), 15000);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return;
        }
        log.info("waiting for the committed offsets of new partitions: {}", rd_kafka_err2str(e));
    }
}

std::expected<void, error> worker::impl::take_over(std::int32_t p) {
    kd::recovery_context const context{options, *db, states, stats, partitions, trace, &stopping};
    if (trace) {
        log.info("taking partition {} over", p);
    }
    auto recovered = kd::recover_partition(context, p);
    // A cluster that is electing leaders (a broker restarting) fails reads for a few seconds: retried for a while
    // before the worker gives up. A state that cannot be completed (errc::corrupt_record) stops it at once.
    for (int attempt = 1; !recovered && recovered.error().code == errc::retryable && attempt < 5 && !stopping.load();
         ++attempt) {
        log.log(logging::level::warn, {logging::kv("partition", p)}, "taking the partition over failed, retrying: {}",
                recovered.error().message);
        // The failed fold may have advanced cached states past what RocksDB holds: the retry would skip their
        // events and never write them. It starts again from RocksDB (p is not owned yet, nothing else uses them).
        forget_cached(p);
        std::this_thread::sleep_for(std::chrono::seconds{1});
        recovered = kd::recover_partition(context, p);
    }
    if (!recovered) {
        return std::unexpected(recovered.error());
    }
    ownership.took_over(p);
    committer->adopt(p, recovered->events_end, std::move(recovered->chunks));
    return {};
}

void worker::impl::forget_cached(std::int32_t p) {
    std::erase_if(states, [&](auto const& kv) { return log::partition_for(kv.first, partitions) == p; });
}

void worker::impl::hand_over(std::int32_t p) {
    ownership.handed_over(p);
    committer->release(p);
    forget_cached(p);
    sweep.forget_if([&](std::string const& salon) { return log::partition_for(salon, partitions) == p; });
}

} // namespace salonq::engine::kafka
