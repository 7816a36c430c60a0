#pragma once

#include "api/auth/errc.hpp"
#include "api/auth/keyring.hpp"
#include "api/auth/principal.hpp"
#include "api/auth/revocation.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::api::auth {

// What to put in a token. The same rules hold as when verifying one: sub an id; salons a non-empty list of ids, or
// all (admin only); staff for staff, manager and owner and for no other role; 0 < ttl <= longest_token_life.
struct token_request {
    std::string subject;
    auth::role role = role::pos;
    bool all_salons = false;
    std::vector<engine::salon_id> salons;
    std::optional<engine::staff_id> staff;
    std::chrono::seconds ttl{0};
};

struct issued_token {
    std::string token; // header.payload.signature
    std::string jti;   // 16 random bytes, 32 lowercase hex digits
    std::string kid;
    std::chrono::sys_seconds expires;
};

// Signs a token (HS256, libjwt) with the keyring's current key; claims sub, role, salons, staff, iat, exp, jti.
[[nodiscard]] std::expected<issued_token, error> issue_token(keyring const& keys, token_request const& request,
                                                             std::chrono::sys_seconds now);

// Whether `jti` is one issue_token makes: 32 lowercase hex digits, or (as it made them until 2026-11-29, for tokens
// that live up to 30 days) 22 base64url characters. `salonq token revoke` takes nothing else: anything else is a
// typo, and "revoked" would be a lie. (A token's own jti claim is checked by the looser valid_jti.)
[[nodiscard]] bool is_issued_jti(std::string_view jti) noexcept;

// "8h", "30m", "90s", "7d": a token's lifetime for `salonq token issue --ttl`.
[[nodiscard]] std::expected<std::chrono::seconds, error> parse_ttl(std::string_view text);

// The token of an Authorization header: "Bearer <token>" (the scheme in any case). token_missing for an empty or
// absent header, token_malformed for another scheme.
[[nodiscard]] std::expected<std::string_view, error> bearer_token(std::string_view authorization);

struct verify_options {
    // Clock skew between the issuer and this server that exp, nbf and iat tolerate.
    std::chrono::seconds leeway{30};
    // Longer tokens are refused before any parsing.
    std::size_t longest_token = 8192;
};

// Verifies bearer tokens: HS256 only, the key named by the header's kid (any key of the keyring), signature by
// libjwt, then the claims and the revocation list. Every refusal is an error value; nothing throws. Thread-safe:
// verify() from any thread, replace_keys() (after `salonq keys rotate`) at any time. The revocation list is
// borrowed and must outlive the verifier.
class verifier {
public:
    verifier(keyring keys, revocation_list const& revocations, verify_options options = {});

    [[nodiscard]] std::expected<principal, error> verify(std::string_view token, std::chrono::sys_seconds now) const;
    // Whether the token a principal came from would still verify at now, short of its signature: not expired (with
    // the leeway), not revoked, its key still held.
    [[nodiscard]] bool still_valid(token_lease const& lease, std::chrono::sys_seconds now) const;
    void replace_keys(keyring keys);
    // The keys in use now (also for the link secret); kept alive by the pointer across a replace_keys.
    [[nodiscard]] std::shared_ptr<keyring const> keys() const { return keys_.load(); }

private:
    std::atomic<std::shared_ptr<keyring const>> keys_;
    revocation_list const& revocations_;
    verify_options options_;
};

} // namespace salonq::api::auth
