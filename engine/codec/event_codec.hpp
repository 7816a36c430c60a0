#pragma once

#include "engine/codec/errc.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/domain/events.hpp"

#include <expected>
#include <string>
#include <string_view>

namespace salonq::engine::codec {

[[nodiscard]] std::string encode_event(event const& e);
[[nodiscard]] std::string encode_rejected(rejected_command const& r);
[[nodiscard]] std::string encode_entry(log_entry const& entry);
// Appends the encoding to a writer (no allocation of its own); used on the hot path.
void write_event(json_writer& w, event const& e);
void write_rejected(json_writer& w, rejected_command const& r);

[[nodiscard]] std::expected<log_entry, error> decode_entry(std::string_view json);

} // namespace salonq::engine::codec
