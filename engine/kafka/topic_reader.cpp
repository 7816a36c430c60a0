#include "engine/kafka/topic_reader.hpp"

#include "engine/kafka/detail/client.hpp"

#include <fmt/format.h>

#include <set>

namespace salonq::engine::kafka {

std::expected<std::uint64_t, error> read_topic(settings const& s, char const* topic, std::int32_t partitions,
                                               std::function<void(topic_message const&)> const& visit) {
    auto reader = make_client(s, RD_KAFKA_CONSUMER,
                              {{"group.id", "salonq-reader"},
                               {"isolation.level", "read_committed"},
                               {"enable.auto.commit", "false"},
                               {"enable.partition.eof", "true"},
                               {"fetch.wait.max.ms", "10"}});
    if (!reader) {
        return std::unexpected(reader.error());
    }
    std::uint64_t count = 0;
    // One partition at a time keeps each partition's messages in order for the visitor.
    for (std::int32_t p = 0; p < partitions; ++p) {
        detail::partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
        rd_kafka_topic_partition_list_add(list.get(), topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        if (auto err = rd_kafka_assign(reader->get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(
                error{errc::retryable, fmt::format("assign {}[{}]: {}", topic, p, rd_kafka_err2str(err))});
        }
        int idle = 0;
        for (;;) {
            detail::message_ptr m{rd_kafka_consumer_poll(reader->get(), 500)};
            if (!m) {
                if (++idle > 60) {
                    return std::unexpected(
                        error{errc::retryable, fmt::format("reading {}[{}]: no end of partition in 30 s", topic, p)});
                }
                continue;
            }
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                break;
            }
            if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                return std::unexpected(error{
                    errc::retryable, fmt::format("reading {}[{}]: {}", topic, p, rd_kafka_message_errstr(m.get()))});
            }
            ++count;
            visit(topic_message{m->partition,
                                m->offset,
                                m->key ? std::string_view{static_cast<char const*>(m->key), m->key_len}
                                       : std::string_view{},
                                {static_cast<char const*>(m->payload), m->len}});
        }
    }
    (void)rd_kafka_assign(reader->get(), nullptr);
    return count;
}

} // namespace salonq::engine::kafka
