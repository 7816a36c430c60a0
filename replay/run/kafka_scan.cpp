#include "replay/run/kafka_scan.hpp"

#include "engine/kafka/admin.hpp"
#include "engine/kafka/topic_reader.hpp"
#include "replay/run/entry_filter.hpp"

#include <algorithm>

namespace salonq::replay {

std::expected<std::int32_t, std::string> events_partitions(engine::kafka::settings const& s) {
    auto layout = engine::kafka::describe_topics(s);
    if (!layout) {
        return std::unexpected(layout.error().message);
    }
    if (auto const events = layout->events) {
        return *events;
    }
    return std::unexpected(std::string{engine::kafka::events_topic} + " does not exist in this cluster");
}

std::expected<scan_result, std::string> scan_kafka(engine::kafka::settings const& s, selection const& chosen, sink& out,
                                                   progress& shown) {
    auto partitions = events_partitions(s);
    if (!partitions) {
        return std::unexpected(partitions.error());
    }
    std::vector<bool> wanted(static_cast<std::size_t>(*partitions), false);
    for (auto const p : chosen.partitions(*partitions)) {
        wanted.at(static_cast<std::size_t>(p)) = true;
    }
    scan_result result;
    entry_filter filter{chosen, out, result};
    // The reader reads every partition to its last stable offset as of its start; the ranges cut what is kept.
    auto read = engine::kafka::read_topic(
        s, engine::kafka::events_topic, *partitions, [&](engine::kafka::topic_message const& m) {
            if (!wanted.at(static_cast<std::size_t>(m.partition))) {
                return;
            }
            auto const range = chosen.range(m.partition);
            if (m.offset < range.from || (range.to && m.offset >= *range.to)) {
                return;
            }
            filter.take(engine::log::record_view{engine::partition_id{m.partition}, engine::offset_t{m.offset}, m.key,
                                                 m.value});
            shown.tick(++result.read);
        });
    if (!read) {
        return std::unexpected(read.error().message);
    }
    return result;
}

} // namespace salonq::replay
