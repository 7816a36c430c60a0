#pragma once

#include "engine/domain/strong.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace salonq::engine::log {

// Big-endian fixed-width keys, so RocksDB's byte order is (partition, offset) order.
[[nodiscard]] std::string record_key(partition_id p, offset_t o);
[[nodiscard]] std::string partition_prefix(partition_id p);
[[nodiscard]] partition_id key_partition(std::string_view key) noexcept;
[[nodiscard]] offset_t key_offset(std::string_view key) noexcept;
// salonId, a NUL, then the commandId: the dedupe index key (ids never contain NUL).
[[nodiscard]] std::string dedupe_key(salon_id const& s, command_id const& c);
// The salonId and commandId of a dedupe key (the commandId is empty if the key has no NUL).
struct dedupe_key_parts {
    std::string_view salon;
    std::string_view command;
};
[[nodiscard]] dedupe_key_parts split_dedupe_key(std::string_view key) noexcept;

void put_u32(std::string& out, std::uint32_t v);
void put_u64(std::string& out, std::uint64_t v);
[[nodiscard]] std::uint32_t get_u32(std::string_view in) noexcept;
[[nodiscard]] std::uint64_t get_u64(std::string_view in) noexcept;

} // namespace salonq::engine::log
