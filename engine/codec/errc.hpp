#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace salonq::engine::codec {

// Why a message could not be decoded. Each value has a stable wire code (to_string).
enum class errc : std::uint8_t {
    malformed_json,
    invalid_utf8,
    too_large,
    wrong_type,
    missing_field,
    unknown_field,
    duplicate_field,
    too_long,
    out_of_range,
    invalid_value,
    unknown_type,
    unsupported_version,
    wrong_key, // a command on the commands topic whose message key is not its salonId
};

[[nodiscard]] std::string_view to_string(errc c) noexcept;
[[nodiscard]] std::optional<errc> parse_errc(std::string_view s) noexcept;

// A precise decoding error: what is wrong, where (a JSON path such as `payload.customer.phone`), and a
// message for a person.
struct error {
    errc code = errc::malformed_json;
    std::string path;
    std::string message;
};

} // namespace salonq::engine::codec
