#include "engine/kafka/topic_log_reader.hpp"

#include "engine/kafka/detail/client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <utility>

namespace salonq::engine::kafka {

struct topic_log_reader::impl {
    detail::handle_ptr consumer;
    std::string topic;
    std::int32_t partitions = 0;
    std::chrono::milliseconds timeout{};
    // The one partition assigned and where it stands: the next record it delivers is at or after `position`
    // (the offset after the last record delivered, or where it was assigned); `eof_at` is the end the fetch last
    // reached (-1: not since the assignment): nothing below it is left to deliver.
    std::optional<std::int32_t> assigned;
    std::int64_t position = 0;
    std::int64_t eof_at = -1;
    // Per partition, [from, end) a read found to hold no record (only markers and aborted records), {-1, -1} if
    // none: a consumer that has read everything asks from its last marker again at every poll, and is answered
    // without a fetch while the stable end has not moved.
    std::vector<std::pair<std::int64_t, std::int64_t>> settled;
    std::vector<std::atomic<std::int64_t>> ends; // per partition, see end_offsets()
    std::atomic<std::uint64_t> records{0};
    std::atomic<std::uint64_t> assignments{0};

    [[nodiscard]] std::string where(std::int32_t p) const { return fmt::format("{}[{}]", topic, p); }

    [[nodiscard]] std::expected<std::int64_t, log::error> stable_end(std::int32_t p) const {
        std::int64_t low = 0;
        std::int64_t high = 0;
        // A read_committed client's ListOffsets asks for the last stable offset.
        if (auto err = rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(), p, &low, &high,
                                                        static_cast<int>(timeout.count()));
            err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(log::error{fmt::format("the end of {}: {}", where(p), rd_kafka_err2str(err))});
        }
        return high;
    }

    [[nodiscard]] std::expected<void, log::error> assign(std::int32_t p, std::int64_t from) {
        assigned.reset();
        detail::partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = from;
        if (auto err = rd_kafka_assign(consumer.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(
                log::error{fmt::format("assign {} at {}: {}", where(p), from, rd_kafka_err2str(err))});
        }
        assigned = p;
        position = from;
        eof_at = -1;
        ++assignments;
        return {};
    }

    // Polls the assigned partition p until `max` records, its end (`end` reached, or the fetch's end of partition),
    // or the timeout. Records from `position` on are appended to `out`.
    [[nodiscard]] std::expected<void, log::error> fetch(std::int32_t p, std::int64_t end, std::size_t max,
                                                        std::vector<log::record>& out) {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        while (out.size() < max && position < end && eof_at < end) {
            auto const left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                if (!out.empty()) {
                    return {}; // what has come; the rest at the next read
                }
                assigned.reset(); // start afresh next time
                return std::unexpected(log::error{fmt::format("reading {} from {}: no record and no end of partition "
                                                              "within {} ms (below the stable end {})",
                                                              where(p), position, timeout.count(), end)});
            }
            detail::message_ptr m{
                rd_kafka_consumer_poll(consumer.get(), static_cast<int>(std::min<std::int64_t>(left.count(), 100)))};
            if (!m || m->partition != p) {
                continue; // nothing yet, or a message of an earlier assignment
            }
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                eof_at = m->offset;
                if (!out.empty()) {
                    return {};
                }
                continue;
            }
            if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                assigned.reset();
                auto const gone =
                    m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE;
                return std::unexpected(log::error{
                    fmt::format("reading {} from {}: {}{}", where(p), position, rd_kafka_message_errstr(m.get()),
                                gone ? " (the topic no longer holds that offset: its retention deleted it)" : "")});
            }
            if (m->offset < position) {
                continue;
            }
            position = m->offset + 1;
            out.push_back(
                log::record{partition_id{p}, offset_t{m->offset},
                            m->key ? std::string{static_cast<char const*>(m->key), m->key_len} : std::string{},
                            m->payload ? std::string{static_cast<char const*>(m->payload), m->len} : std::string{}});
        }
        return {};
    }
};

topic_log_reader::topic_log_reader(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

topic_log_reader::~topic_log_reader() { (void)rd_kafka_assign(impl_->consumer.get(), nullptr); }

std::expected<std::unique_ptr<topic_log_reader>, error> topic_log_reader::open(settings const& s, std::string topic) {
    auto i = std::make_unique<impl>();
    i->topic = std::move(topic);
    i->timeout = s.timeout;
    // A group.id librdkafka wants for a consumer; assign() never joins it and nothing is committed.
    auto consumer = make_client(s, RD_KAFKA_CONSUMER,
                                {{"group.id", "salonq-log-reader"},
                                 {"isolation.level", "read_committed"},
                                 {"enable.auto.commit", "false"},
                                 {"enable.auto.offset.store", "false"},
                                 {"enable.partition.eof", "true"},
                                 {"auto.offset.reset", "error"},
                                 {"fetch.wait.max.ms", "10"}});
    if (!consumer) {
        return std::unexpected(consumer.error());
    }
    i->consumer = std::move(*consumer);
    auto count = detail::topic_partitions(i->consumer.get(), i->topic, s.timeout);
    if (!count) {
        return std::unexpected(count.error());
    }
    i->partitions = *count;
    i->ends = std::vector<std::atomic<std::int64_t>>(static_cast<std::size_t>(*count));
    for (auto& e : i->ends) {
        e.store(-1);
    }
    i->settled.assign(static_cast<std::size_t>(*count), {-1, -1});
    return std::unique_ptr<topic_log_reader>{new topic_log_reader(std::move(i))};
}

std::int32_t topic_log_reader::partition_count() const { return impl_->partitions; }

std::expected<std::vector<log::record>, log::error> topic_log_reader::read(partition_id p, offset_t from,
                                                                           std::size_t max) {
    auto& i = *impl_;
    if (p.value() < 0 || p.value() >= i.partitions) {
        return std::unexpected(log::error{fmt::format("{} has no partition {}", i.topic, p.value())});
    }
    auto end = i.stable_end(p.value());
    if (!end) {
        return std::unexpected(end.error());
    }
    auto const index = static_cast<std::size_t>(p.value());
    auto& known_end = i.ends[index];
    auto& settled = i.settled[index];
    std::vector<log::record> out;
    if (max == 0 || from.value() >= *end) {
        known_end.store(*end);
        return out;
    }
    if (settled.first >= 0 && from.value() >= settled.first && *end <= settled.second) {
        known_end.store(from.value()); // only markers and aborted records until the stable end, as last read
        return out;
    }
    if (i.assigned != p.value() || i.position != from.value()) {
        if (auto assigned = i.assign(p.value(), from.value()); !assigned) {
            return std::unexpected(assigned.error());
        }
    }
    if (auto fetched = i.fetch(p.value(), *end, max, out); !fetched) {
        return std::unexpected(fetched.error());
    }
    if (i.position >= *end || i.eof_at >= *end) {
        settled = {i.position, *end}; // every record below the end delivered: none in [position, end)
    }
    // Nothing below the stable end but markers and aborted records: the reader is at the end.
    known_end.store(out.empty() ? from.value() : *end);
    i.records += out.size();
    return out;
}

std::expected<offset_t, log::error> topic_log_reader::end_offset(partition_id p) {
    if (p.value() < 0 || p.value() >= impl_->partitions) {
        return std::unexpected(log::error{fmt::format("{} has no partition {}", impl_->topic, p.value())});
    }
    auto end = impl_->stable_end(p.value());
    if (!end) {
        return std::unexpected(end.error());
    }
    return offset_t{*end};
}

std::vector<std::int64_t> topic_log_reader::end_offsets() const {
    std::vector<std::int64_t> out;
    out.reserve(impl_->ends.size());
    for (auto const& e : impl_->ends) {
        out.push_back(e.load());
    }
    return out;
}

std::uint64_t topic_log_reader::records_read() const noexcept { return impl_->records.load(); }

std::uint64_t topic_log_reader::assignments() const noexcept { return impl_->assignments.load(); }

} // namespace salonq::engine::kafka
