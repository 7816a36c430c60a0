#include "engine/runtime/kafka_snapshot.hpp"

#include "engine/log/kafka/client.hpp"

#include <fmt/format.h>

#include <charconv>

namespace salonq::engine::runtime::kafka_detail {

using namespace log::kafka::detail;
namespace lk = log::kafka;

std::string snapshot_record(std::int64_t events_offset, std::string_view state_json) {
    return fmt::format(R"({{"type":"salon_snapshot","v":1,"eventsOffset":{},"state":{}}})", events_offset, state_json);
}

std::optional<snapshot_view> parse_snapshot(std::string_view record) {
    constexpr std::string_view head = R"({"type":"salon_snapshot","v":1,"eventsOffset":)";
    if (!record.starts_with(head) || record.size() < head.size() + 12 || record.back() != '}') {
        return std::nullopt;
    }
    auto rest = record.substr(head.size());
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

std::map<std::string, std::string> recovery_reader_properties(std::string const& group) {
    return {{"group.id", group + "-recovery"}, {"isolation.level", "read_committed"}, {"enable.auto.commit", "false"},
            {"enable.partition.eof", "true"},  {"auto.offset.reset", "earliest"},     {"fetch.wait.max.ms", "10"},
            {"fetch.error.backoff.ms", "20"}};
}

std::expected<std::map<std::string, salon_snapshot>, error>
read_latest_snapshots(lk::settings const& kafka, std::string const& group, std::int32_t p) {
    auto reader = lk::make_client(kafka, RD_KAFKA_CONSUMER, recovery_reader_properties(group));
    if (!reader) {
        return std::unexpected(error{errc::storage, reader.error().message});
    }
    partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
    // Offset 0 rather than OFFSET_BEGINNING (which costs a fetch back-off here); a compacted-away start resets to
    // the earliest offset.
    rd_kafka_topic_partition_list_add(list.get(), lk::snapshots_topic, p)->offset = 0;
    if (auto err = rd_kafka_assign(reader->get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::storage, fmt::format("snapshot reader: {}", rd_kafka_err2str(err))});
    }
    std::map<std::string, salon_snapshot> latest;
    for (;;) {
        message_ptr m{rd_kafka_consumer_poll(reader->get(), 1000)};
        if (!m) {
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            return latest;
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
                                salon_snapshot{snap->events_offset, std::string{snap->state}});
    }
}

} // namespace salonq::engine::runtime::kafka_detail
