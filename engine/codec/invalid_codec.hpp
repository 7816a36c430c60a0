#pragma once

#include "engine/codec/errc.hpp"
#include "engine/domain/strong.hpp"
#include "engine/domain/time.hpp"

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace salonq::engine::codec {

// The answer to a message of the commands topic that is never decided: it does not decode, or it is keyed or
// partitioned away from its salon. Written to the events topic at the same partition, so that every command
// message has exactly one outcome; a POS matches it to its command by commandId when the message carried a
// readable one, else by the partition and offset its producer's delivery report gave (docs/kafka.md).
struct command_invalid {
    std::int32_t commands_partition = 0;
    std::int64_t commands_offset = 0;
    instant at{};
    std::optional<command_id> command;
    std::optional<salon_id> salon;
    error why;
};

[[nodiscard]] std::string encode_command_invalid(command_invalid const& r);
[[nodiscard]] std::expected<command_invalid, error> decode_command_invalid(std::string_view json);

// The top-level commandId and salonId of a client message that does not decode as a whole (an unknown field,
// a newer `v`, a bad payload), each if it is there and a valid id.
struct message_ids {
    std::optional<command_id> command;
    std::optional<salon_id> salon;
};
[[nodiscard]] message_ids peek_ids(std::string_view json) noexcept;

} // namespace salonq::engine::codec
