#include "replay/select/envelope.hpp"

#include <cstring>

namespace salonq::replay {

std::optional<envelope> envelope_reader::peek(std::string_view json) {
    // simdjson reads up to SIMDJSON_PADDING bytes past the end: copy into a buffer that has them (grown rarely).
    if (buffer_.size() < json.size()) {
        buffer_ = simdjson::padded_string(json.size() * 2);
    }
    std::memcpy(buffer_.data(), json.data(), json.size());
    auto doc = parser_.iterate(buffer_.data(), json.size(), buffer_.size() + simdjson::SIMDJSON_PADDING);
    if (doc.error() != simdjson::SUCCESS) {
        return std::nullopt;
    }
    envelope e;
    // The codec writes type, salonId and at in this order; unordered lookups stay correct for any other writer.
    if (doc["type"].get_string().get(e.type) != simdjson::SUCCESS ||
        doc.find_field_unordered("salonId").get_string().get(e.salon) != simdjson::SUCCESS ||
        doc.find_field_unordered("at").get_string().get(e.at) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    return e;
}

} // namespace salonq::replay
