#include "engine/kafka/detail/admit.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/log/partitioner.hpp"

#include <fmt/format.h>

namespace salonq::engine::kafka::detail {

std::expected<command, codec::error> admit_command(std::string_view key, std::string_view value, std::int32_t partition,
                                                   std::int32_t partitions) {
    auto decoded = codec::decode_command(value, codec::command_source::client);
    if (!decoded) {
        return decoded;
    }
    auto const& salon = decoded->salon.value();
    if (key != salon) { // the key is not echoed: it may be any bytes
        return std::unexpected(
            codec::error{codec::errc::wrong_key, "salonId",
                         fmt::format("the message {} its salonId '{}': key every command by its salonId",
                                     key.empty() ? "has no key, not" : "is not keyed by", salon)});
    }
    if (log::partition_for(salon, partitions) != partition) {
        return std::unexpected(codec::error{codec::errc::invalid_value, "salonId",
                                            "the message is not on its salon's partition: key it by salonId with "
                                            "the murmur2 partitioner"});
    }
    return decoded;
}

} // namespace salonq::engine::kafka::detail
