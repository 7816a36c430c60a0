#include "engine/kafka/topic_tail.hpp"

#include "engine/kafka/detail/client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

namespace salonq::engine::kafka {

struct topic_tail::impl {
    detail::handle_ptr consumer;
    std::string topic;
    std::int32_t partitions = 0;
    mutable std::mutex problem_mutex;
    std::optional<std::string> problem;                 // under problem_mutex
    std::chrono::steady_clock::time_point problem_at{}; // under problem_mutex

    // librdkafka reports a lost cluster once, not that it is back: an error is news for a while only.
    static constexpr std::chrono::seconds problem_shown_for{15};
    void set_problem(std::string p) {
        std::scoped_lock lock{problem_mutex};
        problem = std::move(p);
        problem_at = std::chrono::steady_clock::now();
    }

    static void on_error(rd_kafka_t* /*rk*/, int err, char const* reason, void* opaque) {
        auto* self = static_cast<impl*>(opaque);
        if (static_cast<rd_kafka_resp_err_t>(err) == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
            self->set_problem(fmt::format("reading {}: {}", self->topic, reason));
        }
    }
    void clear_problem() {
        std::scoped_lock lock{problem_mutex};
        problem.reset();
    }
};

topic_tail::topic_tail(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

topic_tail::~topic_tail() { (void)rd_kafka_assign(impl_->consumer.get(), nullptr); }

std::expected<std::unique_ptr<topic_tail>, error> topic_tail::open(settings const& s, std::string topic,
                                                                   std::vector<std::int64_t> const& start) {
    auto i = std::make_unique<impl>();
    i->topic = std::move(topic);
    // A group.id librdkafka wants for a consumer; assign() never joins it and nothing is committed.
    auto consumer = make_client(
        s, RD_KAFKA_CONSUMER,
        {{"group.id", "salonq-tail"},
         {"isolation.level", "read_committed"},
         {"enable.auto.commit", "false"},
         {"enable.auto.offset.store", "false"},
         {"auto.offset.reset", "earliest"},
         {"fetch.wait.max.ms", "10"}},
        [](rd_kafka_conf_t* conf, void* opaque) {
            rd_kafka_conf_set_opaque(conf, opaque);
            rd_kafka_conf_set_error_cb(conf, &impl::on_error);
        },
        i.get());
    if (!consumer) {
        return std::unexpected(consumer.error());
    }
    i->consumer = std::move(*consumer);
    auto count = detail::topic_partitions(i->consumer.get(), i->topic, s.timeout);
    if (!count) {
        return std::unexpected(count.error());
    }
    if (!start.empty() && std::cmp_not_equal(start.size(), *count)) {
        return std::unexpected(error{errc::misconfigured, fmt::format("{} has {} partitions, the reader expects {}",
                                                                      i->topic, *count, start.size())});
    }
    i->partitions = *count;
    std::unique_ptr<topic_tail> tail{new topic_tail(std::move(i))};
    if (auto assigned = tail->rewind(start); !assigned) {
        return std::unexpected(assigned.error());
    }
    return tail;
}

std::int32_t topic_tail::partition_count() const noexcept { return impl_->partitions; }

std::expected<void, error> topic_tail::rewind(std::vector<std::int64_t> const& start) {
    detail::partition_list_ptr list{rd_kafka_topic_partition_list_new(impl_->partitions)};
    for (std::int32_t p = 0; p < impl_->partitions; ++p) {
        rd_kafka_topic_partition_list_add(list.get(), impl_->topic.c_str(), p)->offset =
            start.empty() ? RD_KAFKA_OFFSET_BEGINNING : start[static_cast<std::size_t>(p)];
    }
    if (auto err = rd_kafka_assign(impl_->consumer.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(
            error{errc::retryable, fmt::format("assign {}: {}", impl_->topic, rd_kafka_err2str(err))});
    }
    return {};
}

std::expected<topic_tail::polled, error> topic_tail::poll(std::size_t max, std::chrono::milliseconds wait) {
    polled out;
    auto timeout = static_cast<int>(wait.count());
    while (out.records.size() < max) {
        detail::message_ptr m{rd_kafka_consumer_poll(impl_->consumer.get(), timeout)};
        if (!m) {
            break;
        }
        timeout = 0; // after the first: only what has arrived
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            auto const fatal = m->err == RD_KAFKA_RESP_ERR__FATAL;
            auto const message = fmt::format("reading {}: {}", impl_->topic, rd_kafka_message_errstr(m.get()));
            if (fatal) {
                return std::unexpected(error{errc::fenced, message});
            }
            impl_->set_problem(message);
            continue;
        }
        impl_->clear_problem();
        out.records.push_back(
            log::record{partition_id{m->partition}, offset_t{m->offset},
                        m->key ? std::string{static_cast<char const*>(m->key), m->key_len} : std::string{},
                        m->payload ? std::string{static_cast<char const*>(m->payload), m->len} : std::string{}});
        out.tombstone.push_back(m->payload == nullptr);
    }
    return out;
}

std::expected<void, error> topic_tail::read_to_end(std::function<void(polled const&)> const& take,
                                                   std::chrono::steady_clock::time_point deadline) {
    auto const left_ms = [&] {
        auto const left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        return static_cast<int>(std::max<std::int64_t>(left.count(), 1));
    };
    detail::partition_list_ptr ends{rd_kafka_topic_partition_list_new(impl_->partitions)};
    for (std::int32_t p = 0; p < impl_->partitions; ++p) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        if (auto err = rd_kafka_query_watermark_offsets(impl_->consumer.get(), impl_->topic.c_str(), p, &low, &high,
                                                        left_ms());
            err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(
                error{errc::retryable, fmt::format("the end of {}: {}", impl_->topic, rd_kafka_err2str(err))});
        }
        if (high > low) { // an empty partition is read to its end already
            rd_kafka_topic_partition_list_add(ends.get(), impl_->topic.c_str(), p)->offset = high;
        }
    }
    detail::partition_list_ptr at{rd_kafka_topic_partition_list_copy(ends.get())};
    auto const reached = [&] {
        (void)rd_kafka_position(impl_->consumer.get(), at.get()); // the last record read + 1, or -1001: none yet
        for (int i = 0; i < at->cnt; ++i) {
            if (at->elems[i].offset < ends->elems[i].offset) {
                return false;
            }
        }
        return true;
    };
    while (!reached()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::unexpected(
                error{errc::retryable, fmt::format("{} was not read to its end in time", impl_->topic)});
        }
        auto got = poll(1024, std::chrono::milliseconds{200});
        if (!got) {
            return std::unexpected(got.error());
        }
        take(*got);
    }
    return {};
}

std::vector<std::int64_t> topic_tail::end_offsets() const {
    std::vector<std::int64_t> ends;
    for (std::int32_t p = 0; p < impl_->partitions; ++p) {
        std::int64_t low = -1;
        std::int64_t high = -1;
        if (rd_kafka_get_watermark_offsets(impl_->consumer.get(), impl_->topic.c_str(), p, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            high = -1;
        }
        ends.push_back(high);
    }
    return ends;
}

std::optional<std::string> topic_tail::problem() const {
    std::scoped_lock lock{impl_->problem_mutex};
    if (impl_->problem && std::chrono::steady_clock::now() - impl_->problem_at > impl::problem_shown_for) {
        return std::nullopt;
    }
    return impl_->problem;
}

} // namespace salonq::engine::kafka
