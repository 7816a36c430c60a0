#pragma once

#include "engine/codec/errc.hpp"
#include "engine/domain/state.hpp"

#include <expected>
#include <string>
#include <string_view>

namespace salonq::engine::codec {

// The stored (and printed) form of a salon's state: JSON, so `salonq state` and the RocksDB value agree.
[[nodiscard]] std::string encode_state(salon_state const& s);
[[nodiscard]] std::expected<salon_state, error> decode_state(std::string_view json);

} // namespace salonq::engine::codec
