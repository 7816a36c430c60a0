#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace salonq::api::auth {

// Why a request, a token, a keyring or a revocation was refused. The codes are stable: the HTTP server sends them
// to clients (token_* and unknown_key as 401, forbidden_* as 403) and tests match on them. Messages never hold a
// secret or a whole token.
enum class errc : std::uint8_t {
    token_missing,         // no Authorization header, or an empty token
    token_malformed,       // not three base64url parts of JSON, or too long
    token_unsupported_alg, // alg is not HS256 (none, HS512, RS256, ...)
    unknown_key,           // no kid, or a kid the keyring does not hold
    token_invalid,         // the signature does not verify with the kid's secret
    token_expired,         // exp is past, beyond the leeway
    token_not_yet_valid,   // nbf or iat is in the future, beyond the leeway
    claims_invalid,        // a required claim missing or of the wrong type, an unknown role, ...
    token_revoked,         // its jti was revoked
    forbidden_salon,       // a valid token for other salons
    forbidden_action,      // a valid token whose role may not do this
    invalid_request,       // what was asked to issue, revoke or rotate is not valid (bad ttl, missing staff, ...)
    keyring_unsafe,        // the keyring file is readable by group or others, or not a regular file
    keyring_invalid,       // the keyring file does not parse, or holds a short secret
    io_error,              // reading or writing a file under the data directory failed
};

[[nodiscard]] std::string_view to_string(errc c) noexcept;

struct error {
    errc code = errc::token_invalid;
    std::string message;
};

} // namespace salonq::api::auth
