#pragma once

#include "api/auth/keyring.hpp"
#include "engine/domain/strong.hpp"

#include <string>
#include <string_view>

namespace salonq::api::auth {

// The code in a customer's link to their own place in line (/v1/salons/{salonId}/tickets/{ticketId}/link/{code}, or
// however the server spells it): it shows that ticket and nothing else, without an account. HMAC-SHA256 of the
// salon and the ticket under the keyring's link secret, the first 144 bits in base64url (24 characters): not
// guessable, not forgeable without the secret, and the same every time for one ticket. The link secret is not
// rotated with the signing keys, so links printed on a ticket stay valid for the ticket's life.
inline constexpr std::size_t ticket_link_code_length = 24;

[[nodiscard]] std::string ticket_link_code(secret const& link_secret, engine::salon_id const& salon,
                                           engine::ticket_id ticket);

// Whether code is the ticket's link code, compared in constant time (CRYPTO_memcmp).
[[nodiscard]] bool check_ticket_link(secret const& link_secret, engine::salon_id const& salon, engine::ticket_id ticket,
                                     std::string_view code);

} // namespace salonq::api::auth
