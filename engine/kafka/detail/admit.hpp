#pragma once

#include "engine/codec/errc.hpp"
#include "engine/domain/commands.hpp"

#include <cstdint>
#include <expected>
#include <string_view>

namespace salonq::engine::kafka::detail {

// Which messages of the commands topic a worker decides: the message must decode as a client command, be keyed
// by that command's salonId (a missing or empty key counts as wrong), and sit on that salon's murmur2
// partition. Anything else is answered with a command_invalid record and never decided: its events would land
// away from the salon's history, or the POS's other commands for the salon would. The worker and
// `verify --brokers` both use this, so they agree on which messages those are.
[[nodiscard]] std::expected<command, codec::error> admit_command(std::string_view key, std::string_view value,
                                                                 std::int32_t partition, std::int32_t partitions);

} // namespace salonq::engine::kafka::detail
