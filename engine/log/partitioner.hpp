#pragma once

#include <cstdint>
#include <string_view>

namespace salonq::engine::log {

// Kafka's murmur2 (as in the Java client's Utils.murmur2), so a command keyed by salonId lands on the same
// partition whether a Java, Go, Python or librdkafka (partitioner=murmur2_random) client produced it.
[[nodiscard]] std::uint32_t murmur2(std::string_view key) noexcept;
[[nodiscard]] std::int32_t partition_for(std::string_view salon, std::int32_t partition_count) noexcept;

} // namespace salonq::engine::log
