#pragma once

#include "engine/domain/strong.hpp"
#include "engine/domain/time.hpp"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace salonq::engine::runtime {

// Where the outcome of a commandId lives in the events log. Stored in the dedupe column family under
// (salonId, commandId). The value starts with the receive time (8 bytes, native little-endian) so the
// store's compaction filter can drop entries past the retention window without decoding the rest.
struct dedupe_entry {
    instant received_at{};
    partition_id partition;
    offset_t first_offset;
    std::uint32_t count = 0;

    static constexpr std::size_t encoded_size = 24;

    [[nodiscard]] std::string encode() const {
        std::string out(encoded_size, '\0');
        encode_into(out.data());
        return out;
    }
    // Writes the encoded_size bytes of encode() to `out`.
    void encode_into(char* out) const {
        auto const ms = to_unix_ms(received_at);
        auto const p = partition.value();
        auto const o = first_offset.value();
        std::memcpy(out, &ms, 8);
        std::memcpy(out + 8, &p, 4);
        std::memcpy(out + 12, &o, 8);
        std::memcpy(out + 20, &count, 4);
    }

    [[nodiscard]] static std::optional<dedupe_entry> decode(std::string_view in) {
        if (in.size() != encoded_size) {
            return std::nullopt;
        }
        std::int64_t ms = 0;
        std::int32_t p = 0;
        std::int64_t o = 0;
        dedupe_entry e;
        std::memcpy(&ms, in.data(), 8);
        std::memcpy(&p, in.data() + 8, 4);
        std::memcpy(&o, in.data() + 12, 8);
        std::memcpy(&e.count, in.data() + 20, 4);
        e.received_at = from_unix_ms(ms);
        e.partition = partition_id{p};
        e.first_offset = offset_t{o};
        return e;
    }
};

} // namespace salonq::engine::runtime
