#pragma once

#include "engine/codec/errc.hpp"
#include "engine/domain/commands.hpp"

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace salonq::engine::codec {

// Where a command message comes from. A client never sets receivedAt (the engine stamps it); a command read
// back from the commands log always has it.
enum class command_source : std::uint8_t { client, log };

[[nodiscard]] std::expected<command, error> decode_command(std::string_view json,
                                                           command_source source = command_source::client);
// The log form: the envelope with receivedAt.
[[nodiscard]] std::string encode_command(command const& c);
// The client form, as a POS sends it: the same envelope without receivedAt (the engine stamps it).
[[nodiscard]] std::string encode_client_command(command const& c);

} // namespace salonq::engine::codec
