#pragma once

// Building librdkafka clients from salonq settings. Private to engine/kafka.

#include "engine/kafka/detail/handles.hpp"
#include "engine/kafka/settings.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <string>

namespace salonq::engine::kafka {

// A client of the given type with the settings' brokers and extra properties, plus `properties` (which win).
[[nodiscard]] std::expected<detail::handle_ptr, error> make_client(settings const& s, rd_kafka_type_t type,
                                                                   std::map<std::string, std::string> const& properties,
                                                                   void (*configure)(rd_kafka_conf_t*, void*) = nullptr,
                                                                   void* opaque = nullptr);

namespace detail {

// The topic's partition count from the cluster's metadata, waiting up to `timeout` for a topic just created to show.
[[nodiscard]] std::expected<std::int32_t, error> topic_partitions(rd_kafka_t* rk, std::string const& topic,
                                                                  std::chrono::milliseconds timeout);

} // namespace detail

} // namespace salonq::engine::kafka
