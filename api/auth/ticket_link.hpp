#pragma once

#include "api/auth/keyring.hpp"
#include "engine/domain/strong.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace salonq::api::auth {

// The code in a customer's link to their own place in line (/v1/salons/{salonId}/tickets/{ticketId}/link/{code}, or
// however the server spells it): it shows that ticket and nothing else, without an account. HMAC-SHA256 of the
// salon and the ticket under the keyring's link secret, the first 144 bits in base64url (24 characters): not
// guessable, not forgeable without the secret, and the same every time for one ticket. The link secret is not
// rotated with the signing keys, so links printed on a ticket stay valid for the ticket's life.
inline constexpr std::size_t ticket_link_code_length = 24;

// The link codes of one secret. Every walk-in's answer carries its code, so the HMAC is keyed once here: OpenSSL's
// one-shot HMAC() looks the algorithm and the digest up by name and hashes the key's pads on every call (2.5 % of
// serve's CPU in walk-ins, session 30), where a copy of the keyed context starts each code after the pads. Any
// thread may use one signer at once (each code works on a copy of its own).
class link_signer {
public:
    explicit link_signer(secret const& link_secret);
    ~link_signer();
    link_signer(link_signer const&) = delete;
    link_signer& operator=(link_signer const&) = delete;
    link_signer(link_signer&&) noexcept;
    link_signer& operator=(link_signer&&) noexcept;

    // False if OpenSSL could not key the HMAC: every code is then empty and every check false (a server refuses to
    // start, or keeps the keyring it had, with such a signer: authenticator).
    [[nodiscard]] bool valid() const noexcept;
    // The ticket's code; empty if OpenSSL failed (no code matches an empty one).
    [[nodiscard]] std::string code(engine::salon_id const& salon, engine::ticket_id ticket) const;
    // Whether `code` is the ticket's code, compared in constant time (CRYPTO_memcmp).
    [[nodiscard]] bool check(engine::salon_id const& salon, engine::ticket_id ticket, std::string_view code) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// One code with a signer made for it (tools and tests: a server keeps its signer).
[[nodiscard]] std::string ticket_link_code(secret const& link_secret, engine::salon_id const& salon,
                                           engine::ticket_id ticket);

// Whether code is the ticket's link code, compared in constant time (CRYPTO_memcmp).
[[nodiscard]] bool check_ticket_link(secret const& link_secret, engine::salon_id const& salon, engine::ticket_id ticket,
                                     std::string_view code);

} // namespace salonq::api::auth
