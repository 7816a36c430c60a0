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
// A command's payload alone, as an HTTP API body carries it (the envelope comes from the route and the token):
// the same strict rules as the payload inside a message, with paths relative to the body (`customer.phone`).
// `type` is a command type name (`walk_in`, `start`, ...).
[[nodiscard]] std::expected<command_body, error> decode_payload(std::string_view type, std::string_view json);

// The log form: the envelope with receivedAt.
[[nodiscard]] std::string encode_command(command const& c);
// The client form, as a POS sends it: the same envelope without receivedAt (the engine stamps it).
[[nodiscard]] std::string encode_client_command(command const& c);

} // namespace salonq::engine::codec
