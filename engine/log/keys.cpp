#include "engine/log/keys.hpp"

namespace salonq::engine::log {

void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((v >> shift) & 0xffU));
    }
}

void put_u64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((v >> shift) & 0xffU));
    }
}

std::uint32_t get_u32(std::string_view in) noexcept {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4 && i < in.size(); ++i) {
        v = (v << 8U) | static_cast<unsigned char>(in[i]);
    }
    return v;
}

std::uint64_t get_u64(std::string_view in) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8 && i < in.size(); ++i) {
        v = (v << 8U) | static_cast<unsigned char>(in[i]);
    }
    return v;
}

std::string record_key(partition_id p, offset_t o) {
    std::string key;
    key.reserve(12);
    put_u32(key, static_cast<std::uint32_t>(p.value()));
    put_u64(key, static_cast<std::uint64_t>(o.value()));
    return key;
}

std::string partition_prefix(partition_id p) {
    std::string key;
    put_u32(key, static_cast<std::uint32_t>(p.value()));
    return key;
}

partition_id key_partition(std::string_view key) noexcept {
    return partition_id{static_cast<std::int32_t>(get_u32(key))};
}

offset_t key_offset(std::string_view key) noexcept {
    return offset_t{static_cast<std::int64_t>(get_u64(key.substr(4)))};
}

std::string dedupe_key(salon_id const& s, command_id const& c) {
    std::string key;
    key.reserve(s.value().size() + 1 + c.value().size());
    key.append(s.value());
    key.push_back('\0');
    key.append(c.value());
    return key;
}

dedupe_key_parts split_dedupe_key(std::string_view key) noexcept {
    auto const nul = key.find('\0');
    if (nul == std::string_view::npos) {
        return {key, {}};
    }
    return {key.substr(0, nul), key.substr(nul + 1)};
}

} // namespace salonq::engine::log
