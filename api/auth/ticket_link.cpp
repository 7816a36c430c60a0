#include "api/auth/ticket_link.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

namespace salonq::api::auth {
namespace {

constexpr std::size_t code_bytes = ticket_link_code_length / 4 * 3; // 18 bytes = 144 bits

} // namespace

std::string ticket_link_code(secret const& link_secret, engine::salon_id const& salon, engine::ticket_id ticket) {
    // Length-prefixed, so that no two (salon, ticket) pairs give the same message; the label keeps this use of the
    // secret apart from any other.
    auto const message =
        fmt::format("salonq ticket link v1\n{}:{}\n{}", salon.value().size(), salon.value(), ticket.value());
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_length = 0;
    auto const key = link_secret.bytes();
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<unsigned char const*>(message.data()), message.size(), mac, &mac_length) == nullptr ||
        mac_length < code_bytes) {
        return {}; // never matches: check_ticket_link refuses an empty code
    }
    return base64url_encode(std::string_view{reinterpret_cast<char const*>(mac), code_bytes});
}

bool check_ticket_link(secret const& link_secret, engine::salon_id const& salon, engine::ticket_id ticket,
                       std::string_view code) {
    auto const expected = ticket_link_code(link_secret, salon, ticket);
    return expected.size() == ticket_link_code_length && code.size() == expected.size() &&
           CRYPTO_memcmp(expected.data(), code.data(), expected.size()) == 0;
}

} // namespace salonq::api::auth
