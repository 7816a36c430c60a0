#include "api/auth/ticket_link.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <fmt/format.h>

#include <array>

namespace salonq::api::auth {
namespace {

constexpr std::size_t code_bytes = ticket_link_code_length / 4 * 3; // 18 bytes = 144 bits

struct mac_deleter {
    void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
    void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};
using mac_ptr = std::unique_ptr<EVP_MAC, mac_deleter>;
using mac_context = std::unique_ptr<EVP_MAC_CTX, mac_deleter>;

// A context keyed with the secret, or none if OpenSSL refused.
mac_context keyed_context(secret const& link_secret) {
    mac_ptr const mac{EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr)};
    if (!mac) {
        ERR_clear_error(); // not left for a later TLS call on this thread to misread
        return nullptr;
    }
    mac_context context{EVP_MAC_CTX_new(mac.get())};
    std::array<char, 7> digest{"SHA256"};
    std::array<OSSL_PARAM, 2> const params{OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
                                           OSSL_PARAM_construct_end()};
    auto const key = link_secret.bytes();
    if (!context || EVP_MAC_init(context.get(), reinterpret_cast<unsigned char const*>(key.data()), key.size(),
                                 params.data()) != 1) {
        ERR_clear_error();
        return nullptr;
    }
    return context;
}

} // namespace

struct link_signer::impl {
    mac_context keyed;
};

link_signer::link_signer(secret const& link_secret) : impl_(std::make_unique<impl>(impl{keyed_context(link_secret)})) {}
link_signer::~link_signer() = default;
link_signer::link_signer(link_signer&&) noexcept = default;
link_signer& link_signer::operator=(link_signer&&) noexcept = default;

bool link_signer::valid() const noexcept { return impl_ && impl_->keyed; }

std::string link_signer::code(engine::salon_id const& salon, engine::ticket_id ticket) const {
    if (!valid()) {
        return {};
    }
    // Length-prefixed, so that no two (salon, ticket) pairs give the same message; the label keeps this use of the
    // secret apart from any other.
    auto const message =
        fmt::format("salonq ticket link v1\n{}:{}\n{}", salon.value().size(), salon.value(), ticket.value());
    mac_context const context{EVP_MAC_CTX_dup(impl_->keyed.get())};
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    std::size_t mac_length = 0;
    if (!context ||
        EVP_MAC_update(context.get(), reinterpret_cast<unsigned char const*>(message.data()), message.size()) != 1 ||
        EVP_MAC_final(context.get(), mac.data(), &mac_length, mac.size()) != 1 || mac_length < code_bytes) {
        ERR_clear_error();
        return {}; // never matches: check refuses an empty code
    }
    return base64url_encode(std::string_view{reinterpret_cast<char const*>(mac.data()), code_bytes});
}

bool link_signer::check(engine::salon_id const& salon, engine::ticket_id ticket, std::string_view code) const {
    auto const expected = this->code(salon, ticket);
    return expected.size() == ticket_link_code_length && code.size() == expected.size() &&
           CRYPTO_memcmp(expected.data(), code.data(), expected.size()) == 0;
}

std::string ticket_link_code(secret const& link_secret, engine::salon_id const& salon, engine::ticket_id ticket) {
    return link_signer{link_secret}.code(salon, ticket);
}

bool check_ticket_link(secret const& link_secret, engine::salon_id const& salon, engine::ticket_id ticket,
                       std::string_view code) {
    return link_signer{link_secret}.check(salon, ticket, code);
}

} // namespace salonq::api::auth
