#pragma once

#include "engine/kafka/settings.hpp"

#include <cstdint>
#include <expected>
#include <functional>
#include <string_view>

namespace salonq::engine::kafka {

struct topic_message {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string_view key;
    std::string_view value;
};

// Reads a whole topic from the beginning to its current end (read_committed: the last stable offset) and
// hands each message to the visitor, partition by partition in offset order. For verify, replay and tests.
[[nodiscard]] std::expected<std::uint64_t, error> read_topic(settings const& s, char const* topic,
                                                             std::int32_t partitions,
                                                             std::function<void(topic_message const&)> const& visit);

} // namespace salonq::engine::kafka
