#include "engine/kafka/group_consumer.hpp"

#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/detail/group_consumer_impl.hpp"
#include "engine/logging/logger.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace salonq::engine::kafka {
namespace {

constexpr int committed_wait_ms = 15000;
// Of committed_wait_ms each, 180 s in all (under librdkafka's max.poll.interval.ms, 300 s, as the wait is inside a
// poll): a coordinator stuck that long ends the consumer.
constexpr int stable_offset_attempts = 12;
constexpr std::chrono::seconds leave_limit{15};

// The first error a partition of `list` carries after a request that answers per partition; none: every one fine.
rd_kafka_resp_err_t partition_error(rd_kafka_topic_partition_list_t const* list) {
    for (int i = 0; i < list->cnt; ++i) {
        if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return list->elems[i].err;
        }
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

logging::logger const& log() {
    static logging::logger const l{"kafka"};
    return l;
}

} // namespace

void group_consumer::impl::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                                        void* opaque) {
    auto* self = static_cast<impl*>(opaque);
    bool const cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    bool const closing = self->closing.load(std::memory_order_acquire);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        self->ever_assigned = true;
        if (!closing) {
            self->take(rk, parts);
        }
        if (cooperative) {
            detail::error_ptr e{rd_kafka_incremental_assign(rk, parts)};
        } else {
            (void)rd_kafka_assign(rk, parts);
        }
        return;
    }
    self->give(rk, parts, !closing);
    if (cooperative) {
        detail::error_ptr e{rd_kafka_incremental_unassign(rk, parts)};
    } else {
        (void)rd_kafka_assign(rk, nullptr);
    }
}

// The committed offsets of the new partitions once stable (no transaction holds them), then where the listener
// wants each read from.
void group_consumer::impl::take(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* parts) {
    // A partition's own error (its offset then -1001, which reads as "none committed") is the whole answer's.
    auto const committed = [&] {
        auto err = rd_kafka_committed(rk, parts, committed_wait_ms);
        return err != RD_KAFKA_RESP_ERR_NO_ERROR ? err : partition_error(parts);
    };
    auto e = committed();
    for (int attempt = 1;
         e != RD_KAFKA_RESP_ERR_NO_ERROR && attempt < stable_offset_attempts && !options.stop.stop_requested();
         ++attempt) {
        log().info("{}: waiting for the committed offsets of new partitions: {}", options.topic, rd_kafka_err2str(e));
        e = committed();
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        failure =
            error{errc::retryable, fmt::format("committed offsets of {}: {}", options.topic, rd_kafka_err2str(e))};
        return;
    }
    for (int i = 0; i < parts->cnt; ++i) {
        auto& part = parts->elems[i];
        auto start = listener.assigned(part.partition, std::max<std::int64_t>(part.offset, 0));
        if (!start) {
            failure = start.error();
            return;
        }
        part.offset = *start;
        owned.insert(part.partition);
        moved.insert(part.partition);
    }
}

// Partitions going: what is owed for them is committed first (their next owner reads on from there), then the
// listener forgets them (unless the consumer is closing: the closing thread may outlive the listener).
void group_consumer::impl::give(rd_kafka_t* rk, rd_kafka_topic_partition_list_t const* parts, bool tell) {
    std::map<std::int32_t, std::int64_t> going;
    for (int i = 0; i < parts->cnt; ++i) {
        if (auto const found = owed.find(parts->elems[i].partition); found != owed.end()) {
            going.insert(*found);
            owed.erase(found);
        }
    }
    if (auto err = commit_owed(rk, going); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log().warn("{}: the offsets of partitions handed over were not committed ({}); their next owner reads again "
                   "what this member had handled",
                   options.topic, rd_kafka_err2str(err));
    }
    for (int i = 0; i < parts->cnt; ++i) {
        auto const p = parts->elems[i].partition;
        owned.erase(p);
        moved.insert(p);
        if (tell) {
            listener.revoked(p);
        }
    }
}

// A synchronous commit of `next`; the first error, of the request or of a partition.
rd_kafka_resp_err_t group_consumer::impl::commit_owed(rd_kafka_t* rk,
                                                      std::map<std::int32_t, std::int64_t> const& next) {
    if (next.empty()) {
        return RD_KAFKA_RESP_ERR_NO_ERROR;
    }
    detail::partition_list_ptr list{rd_kafka_topic_partition_list_new(static_cast<int>(next.size()))};
    for (auto const& [p, offset] : next) {
        rd_kafka_topic_partition_list_add(list.get(), options.topic.c_str(), p)->offset = offset;
    }
    if (auto err = rd_kafka_commit(rk, list.get(), 0); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return err;
    }
    return partition_error(list.get());
}

detail::partition_list_ptr group_consumer::impl::owned_list() const {
    detail::partition_list_ptr list{rd_kafka_topic_partition_list_new(static_cast<int>(owned.size()))};
    for (auto const p : owned) {
        rd_kafka_topic_partition_list_add(list.get(), options.topic.c_str(), p);
    }
    return list;
}

group_consumer::group_consumer(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

group_consumer::~group_consumer() {
    impl_->closing.store(true, std::memory_order_release);
    if (impl_->consumer && !detail::leave_group(impl_->consumer, impl_->ever_assigned, leave_limit)) {
        log().warn("leaving the consumer group {} did not finish within 15 s; the group will notice by the session "
                   "timeout",
                   impl_->options.group);
        (void)impl_.release(); // the closing thread may still call back into it
    }
}

std::expected<std::unique_ptr<group_consumer>, error> group_consumer::open(group_consumer_options options,
                                                                           partition_listener& listener) {
    auto i = std::make_unique<impl>(std::move(options), listener);
    auto const& o = i->options;
    auto consumer = detail::make_group_member(
        o.kafka, o.group,
        o.moves == group_consumer_options::handover::eager ? detail::handover::eager : detail::handover::cooperative,
        o.session_timeout, &impl::on_rebalance, i.get());
    if (!consumer) {
        return std::unexpected(consumer.error());
    }
    i->consumer = std::move(*consumer);
    auto count = detail::topic_partitions(i->consumer.get(), o.topic, o.kafka.timeout);
    if (!count) {
        return std::unexpected(count.error());
    }
    i->partitions = *count;
    rd_kafka_poll_set_consumer(i->consumer.get());
    detail::partition_list_ptr topics{rd_kafka_topic_partition_list_new(1)};
    rd_kafka_topic_partition_list_add(topics.get(), o.topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(i->consumer.get(), topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::retryable, fmt::format("subscribe: {}", rd_kafka_err2str(err))});
    }
    return std::unique_ptr<group_consumer>(new group_consumer(std::move(i)));
}

std::int32_t group_consumer::partition_count() const noexcept { return impl_->partitions; }
std::string const& group_consumer::topic() const noexcept { return impl_->options.topic; }

std::expected<std::vector<log::record>, error> group_consumer::poll(std::size_t max, std::chrono::milliseconds wait) {
    auto& s = *impl_;
    std::vector<log::record> out;
    auto timeout = static_cast<int>(wait.count());
    while (out.size() < max) {
        detail::message_ptr m{rd_kafka_consumer_poll(s.consumer.get(), timeout)};
        if (s.failure) {
            auto failed = std::move(*s.failure);
            s.failure.reset();
            return std::unexpected(std::move(failed));
        }
        if (!s.moved.empty()) {
            std::erase_if(out, [&](log::record const& r) { return s.moved.contains(r.partition.value()); });
            s.moved.clear();
        }
        if (!m) {
            break;
        }
        timeout = 0; // after the first: only what has arrived
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            auto const message = fmt::format("reading {}: {}", s.options.topic, rd_kafka_message_errstr(m.get()));
            if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
                return std::unexpected(error{errc::fenced, message});
            }
            log().warn("{}", message);
            continue;
        }
        if (!s.owned.contains(m->partition)) {
            continue;
        }
        out.push_back(
            log::record{partition_id{m->partition}, offset_t{m->offset},
                        m->key ? std::string{static_cast<char const*>(m->key), m->key_len} : std::string{},
                        m->payload ? std::string{static_cast<char const*>(m->payload), m->len} : std::string{}});
    }
    return out;
}

std::expected<void, error> group_consumer::commit(std::map<std::int32_t, std::int64_t> const& next) {
    auto& owed = impl_->owed;
    for (auto const& [p, offset] : next) {
        auto& o = owed[p];
        o = std::max(o, offset);
    }
    if (auto err = impl_->commit_owed(impl_->consumer.get(), owed); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{
            errc::retryable, fmt::format("committing offsets of {}: {}", impl_->options.topic, rd_kafka_err2str(err))});
    }
    owed.clear();
    return {};
}

std::expected<void, error> group_consumer::rewind() {
    auto list = impl_->owned_list();
    if (list->cnt == 0) {
        return {};
    }
    auto err = rd_kafka_committed(impl_->consumer.get(), list.get(), committed_wait_ms);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = partition_error(list.get()); // its offset would read as "none committed": from the beginning
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::retryable, fmt::format("committed offsets: {}", rd_kafka_err2str(err))});
    }
    for (int i = 0; i < list->cnt; ++i) {
        if (list->elems[i].offset < 0) {
            list->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        }
    }
    detail::error_ptr e{rd_kafka_seek_partitions(impl_->consumer.get(), list.get(), committed_wait_ms)};
    if (e) {
        return std::unexpected(error{errc::retryable, fmt::format("seek: {}", rd_kafka_error_string(e.get()))});
    }
    if (auto const seek = partition_error(list.get()); seek != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::retryable, fmt::format("seek: {}", rd_kafka_err2str(seek))});
    }
    return {};
}

} // namespace salonq::engine::kafka
