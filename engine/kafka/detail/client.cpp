#include "engine/kafka/detail/client.hpp"

#include <fmt/format.h>

#include <future>
#include <memory>
#include <thread>

namespace salonq::engine::kafka {

std::expected<detail::handle_ptr, error> make_client(settings const& s, rd_kafka_type_t type,
                                                     std::map<std::string, std::string> const& properties,
                                                     void (*configure)(rd_kafka_conf_t*, void*), void* opaque) {
    detail::conf_ptr conf{rd_kafka_conf_new()};
    char errstr[512];
    auto set = [&](std::string const& k, std::string const& v) -> std::expected<void, error> {
        if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            // librdkafka quotes a rejected value; it may be a secret (a password), so it is cut out.
            std::string message = errstr;
            for (auto at = v.empty() ? std::string::npos : message.find(v); at != std::string::npos;
                 at = message.find(v, at)) {
                message.replace(at, v.size(), "(value hidden)");
            }
            return std::unexpected(error{errc::misconfigured, fmt::format("kafka setting {}: {}", k, message)});
        }
        return {};
    };
    std::map<std::string, std::string> all{{"bootstrap.servers", s.brokers}, {"client.id", s.client_id}};
    for (auto const& [k, v] : s.extra) {
        all[k] = v;
    }
    for (auto const& [k, v] : properties) {
        all[k] = v;
    }
    for (auto const& [k, v] : all) {
        if (auto ok = set(k, v); !ok) {
            return std::unexpected(ok.error());
        }
    }
    if (configure != nullptr) {
        configure(conf.get(), opaque);
    }
    // rd_kafka_new takes ownership of conf on success only.
    auto* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
    if (rk == nullptr) {
        return std::unexpected(error{errc::misconfigured, fmt::format("kafka client: {}", errstr)});
    }
    (void)conf.release();
    return detail::handle_ptr{rk};
}

namespace detail {

std::expected<handle_ptr, error> make_group_member(settings const& s, std::string const& group, handover moves,
                                                   std::chrono::milliseconds session_timeout,
                                                   rebalance_callback on_rebalance, void* opaque) {
    struct hooks {
        rebalance_callback on_rebalance;
        void* opaque;
    } h{on_rebalance, opaque};
    return make_client(
        s, RD_KAFKA_CONSUMER,
        {{"group.id", group},
         {"partition.assignment.strategy", moves == handover::eager ? "range" : "cooperative-sticky"},
         {"isolation.level", "read_committed"},
         {"enable.auto.commit", "false"},
         {"enable.auto.offset.store", "false"},
         {"auto.offset.reset", "earliest"},
         {"session.timeout.ms", std::to_string(session_timeout.count())},
         {"heartbeat.interval.ms", std::to_string(session_timeout.count() / 3)},
         // The broker answers a waiting fetch as soon as a record arrives, so a long wait adds no latency; a short
         // one made an idle worker cost the broker 11 % of a core in empty fetches (5 ms: 14 % -> 6 %).
         {"fetch.wait.max.ms", "100"}},
        [](rd_kafka_conf_t* conf, void* p) {
            auto const* given = static_cast<hooks const*>(p);
            rd_kafka_conf_set_rebalance_cb(conf, given->on_rebalance);
            rd_kafka_conf_set_opaque(conf, given->opaque);
        },
        &h);
}

std::expected<std::int32_t, error> topic_partitions(rd_kafka_t* rk, std::string const& topic,
                                                    std::chrono::milliseconds timeout) {
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    std::string why = "no answer";
    while (std::chrono::steady_clock::now() < deadline) {
        rd_kafka_metadata_t const* raw = nullptr;
        if (auto err = rd_kafka_metadata(rk, 1, nullptr, &raw, 2000); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            why = rd_kafka_err2str(err);
            continue;
        }
        metadata_ptr md{raw};
        for (int t = 0; t < md->topic_cnt; ++t) {
            auto const& m = md->topics[t];
            if (topic == m.topic && m.err == RD_KAFKA_RESP_ERR_NO_ERROR && m.partition_cnt > 0) {
                return m.partition_cnt;
            }
        }
        why = "the topic does not exist (salonq topics create)";
        std::this_thread::sleep_for(std::chrono::milliseconds{200});
    }
    return std::unexpected(error{errc::retryable, fmt::format("topic {}: {}", topic, why)});
}

bool leave_group(handle_ptr& consumer, bool ever_assigned, std::chrono::seconds limit) {
    auto closed = std::make_shared<std::promise<void>>();
    auto finished = closed->get_future();
    std::thread closer([rk = consumer.get(), closed] {
        (void)rd_kafka_consumer_close(rk);
        closed->set_value();
    });
    if (finished.wait_for(limit) != std::future_status::ready) {
        closer.detach();
        (void)consumer.release();
        return false;
    }
    closer.join();
    if (!ever_assigned && rd_kafka_version() < 0x020300ff) {
        (void)consumer.release(); // it has left the group; the handle is left to the process exit
    }
    return true;
}

std::expected<bool, error> settled_end::done(rd_kafka_message_t const* m) {
    if (m != nullptr && (m->offset >= bound_ || settled(m->offset))) {
        short_since_.reset();
        return true;
    }
    if (stopping_ != nullptr && stopping_->load()) {
        return std::unexpected(error{errc::retryable, "the worker is stopping"});
    }
    if (!short_since_) {
        return false; // nothing yet, and no end found short: the partition's end comes as a message
    }
    if (std::chrono::steady_clock::now() - *short_since_ >= limit) {
        return std::unexpected(
            error{errc::retryable, fmt::format("{}[{}]: a transaction has held the stable end at {} below the high "
                                               "watermark {} for {} s",
                                               topic_, partition_, end_, high_, limit.count())});
    }
    return false;
}

// Whether the end at `offset` is the high watermark of the fetch that brought it (no fetch: nothing is known past
// it); if not, the wait for it starts.
bool settled_end::settled(std::int64_t offset) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_get_watermark_offsets(reader_, topic_, partition_, &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        high <= offset) {
        return true;
    }
    end_ = offset;
    high_ = high;
    if (!short_since_) {
        short_since_ = std::chrono::steady_clock::now();
    }
    return false;
}

} // namespace detail

} // namespace salonq::engine::kafka
