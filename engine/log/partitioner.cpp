#include "engine/log/partitioner.hpp"

#include <cstring>

namespace salonq::engine::log {

std::uint32_t murmur2(std::string_view key) noexcept {
    constexpr std::uint32_t seed = 0x9747b28c;
    constexpr std::uint32_t m = 0x5bd1e995;
    constexpr int r = 24;
    auto const length = static_cast<std::uint32_t>(key.size());
    std::uint32_t h = seed ^ length;
    auto const* data = reinterpret_cast<unsigned char const*>(key.data());
    std::uint32_t const blocks = length / 4;
    for (std::uint32_t i = 0; i < blocks; ++i) {
        std::uint32_t k =
            static_cast<std::uint32_t>(data[i * 4 + 0]) | (static_cast<std::uint32_t>(data[i * 4 + 1]) << 8U) |
            (static_cast<std::uint32_t>(data[i * 4 + 2]) << 16U) | (static_cast<std::uint32_t>(data[i * 4 + 3]) << 24U);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    auto const* tail = data + std::size_t{blocks} * 4;
    switch (length % 4) {
    case 3:
        h ^= static_cast<std::uint32_t>(tail[2]) << 16U;
        [[fallthrough]];
    case 2:
        h ^= static_cast<std::uint32_t>(tail[1]) << 8U;
        [[fallthrough]];
    case 1:
        h ^= static_cast<std::uint32_t>(tail[0]);
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> 13U;
    h *= m;
    h ^= h >> 15U;
    return h;
}

std::int32_t partition_for(std::string_view salon, std::int32_t partition_count) noexcept {
    // Java: Utils.toPositive(murmur2(key)) % numPartitions, where toPositive masks the sign bit.
    return static_cast<std::int32_t>((murmur2(salon) & 0x7fffffffU) % static_cast<std::uint32_t>(partition_count));
}

} // namespace salonq::engine::log
