#include "engine/kafka/producer.hpp"

#include "engine/kafka/detail/client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace salonq::engine::kafka {
namespace {
constexpr std::chrono::milliseconds queue_full_wait{100};
} // namespace

struct record_producer::impl {
    detail::handle_ptr producer;
    std::string topic;
    std::chrono::milliseconds timeout{};
    mutable std::mutex problem_mutex;
    std::optional<std::string> problem; // under problem_mutex
    std::atomic<bool> stopping{false};
    std::jthread poller;

    void set_problem(std::optional<std::string> p) {
        std::scoped_lock lock{problem_mutex};
        problem = std::move(p);
    }

    static void on_delivery(rd_kafka_t* /*rk*/, rd_kafka_message_t const* m, void* opaque) {
        auto* self = static_cast<impl*>(opaque);
        std::unique_ptr<delivery> delivered{static_cast<delivery*>(m->_private)};
        delivered_at written{reported_offset(m->offset)};
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            written =
                std::unexpected(error{errc::retryable, fmt::format("{}: {}", self->topic, rd_kafka_err2str(m->err))});
            self->set_problem("producing to " + written.error().message);
        } else {
            self->set_problem(std::nullopt);
        }
        if (delivered && *delivered) {
            (*delivered)(std::move(written));
        }
    }

    static void on_error(rd_kafka_t* /*rk*/, int err, char const* reason, void* opaque) {
        auto* self = static_cast<impl*>(opaque);
        auto const code = static_cast<rd_kafka_resp_err_t>(err);
        // Transient transport errors are retried by librdkafka; every broker down is worth reporting.
        if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__FATAL) {
            self->set_problem(fmt::format("kafka producer: {}", reason));
        }
    }
};

record_producer::record_producer(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

record_producer::~record_producer() {
    (void)flush(impl_->timeout);
    impl_->stopping.store(true);
    impl_->poller = {}; // joins
}

std::expected<std::unique_ptr<record_producer>, error> record_producer::open(settings const& s, std::string topic) {
    auto i = std::make_unique<impl>();
    i->topic = std::move(topic);
    i->timeout = s.timeout;
    auto producer = make_client(
        s, RD_KAFKA_PRODUCER,
        {{"enable.idempotence", "true"},
         {"partitioner", "murmur2_random"},
         {"linger.ms", "1"},
         {"message.timeout.ms", "30000"}},
        [](rd_kafka_conf_t* conf, void* opaque) {
            rd_kafka_conf_set_opaque(conf, opaque);
            rd_kafka_conf_set_dr_msg_cb(conf, &impl::on_delivery);
            rd_kafka_conf_set_error_cb(conf, &impl::on_error);
        },
        i.get());
    if (!producer) {
        return std::unexpected(producer.error());
    }
    i->producer = std::move(*producer);
    i->poller = std::jthread{[self = i.get()] {
        while (!self->stopping.load()) {
            rd_kafka_poll(self->producer.get(), 100);
        }
    }};
    return std::unique_ptr<record_producer>(new record_producer(std::move(i)));
}

std::expected<void, error> record_producer::produce(std::int32_t partition, std::string_view key,
                                                    std::string_view value, std::string_view type, delivery delivered,
                                                    bool tombstone) {
    auto owned = std::make_unique<delivery>(std::move(delivered));
    // A full queue means the brokers have not taken anything for a while: wait a moment, not the whole timeout (the
    // caller is often an HTTP thread, and a retryable refusal lets its client retry elsewhere).
    auto const deadline = std::chrono::steady_clock::now() + std::min(impl_->timeout, queue_full_wait);
    for (;;) {
        auto const err = rd_kafka_producev(
            impl_->producer.get(), RD_KAFKA_V_TOPIC(impl_->topic.c_str()), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(key.data(), key.size()),
            RD_KAFKA_V_VALUE(tombstone ? nullptr : const_cast<char*>(value.data()), tombstone ? 0 : value.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADER("type", type.data(), static_cast<ssize_t>(type.size())), RD_KAFKA_V_HEADER("v", "1", 1),
            RD_KAFKA_V_OPAQUE(owned.get()), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            (void)owned.release(); // the delivery report owns it now
            return {};
        }
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds{5});
            continue;
        }
        auto const message = fmt::format("producing to {}: {}", impl_->topic, rd_kafka_err2str(err));
        impl_->set_problem(message);
        return std::unexpected(error{err == RD_KAFKA_RESP_ERR__FATAL ? errc::fenced : errc::retryable, message});
    }
}

std::expected<void, error> record_producer::flush(std::chrono::milliseconds timeout) {
    if (auto const err = rd_kafka_flush(impl_->producer.get(), static_cast<int>(timeout.count()));
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(
            error{errc::retryable, fmt::format("flushing {}: {}", impl_->topic, rd_kafka_err2str(err))});
    }
    return {};
}

std::optional<offset_t> record_producer::reported_offset(std::int64_t reported) noexcept {
    return reported >= 0 ? std::optional{offset_t{reported}} : std::nullopt;
}

std::optional<std::string> record_producer::problem() const {
    std::scoped_lock lock{impl_->problem_mutex};
    return impl_->problem;
}

} // namespace salonq::engine::kafka
