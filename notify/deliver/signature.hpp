#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace salonq::notify {

// X-Salonq-Signature: "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". The timestamp is signed with
// the body, so a receiver that checks it against its clock (verify_signature's tolerance) refuses a replayed
// delivery; the body's id is the idempotency key for a redelivery it already took.
[[nodiscard]] std::string sign(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

enum class signature_check : std::uint8_t { ok, malformed, mismatch, too_old };
[[nodiscard]] signature_check verify_signature(std::string_view secret, std::string_view header, std::string_view body,
                                               std::int64_t now_unix_seconds,
                                               std::chrono::seconds tolerance = std::chrono::minutes{5});

} // namespace salonq::notify
