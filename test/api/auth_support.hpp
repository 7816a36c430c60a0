#pragma once

// Keys, clocks and hand-made tokens for the auth tests: tokens are minted here with OpenSSL's HMAC directly, so a
// test can sign whatever header and claims it needs (alg none, HS512, a wrong secret, missing claims) without the
// issuer's checks in the way.

#include "api/auth/keyring.hpp"
#include "api/auth/revocation.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <expected>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::test::auth {

namespace a = salonq::api::auth;
using namespace std::chrono_literals;

inline std::chrono::sys_seconds const now{std::chrono::seconds{1'800'000'000}};

// The value a test step needs, or a failed REQUIRE naming the error.
template <typename T>
T must(std::expected<T, a::error> r) {
    REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? std::string{} : r.error().message));
    return std::move(*r);
}

inline a::key test_key(std::string kid, char fill) {
    return a::key{std::move(kid), a::secret{std::string(a::keyring::secret_bytes, fill)}, now};
}

// A keyring of the given keys (the last is current), with a fixed link secret.
inline a::keyring ring(std::vector<a::key> keys) {
    auto r = a::keyring::make(std::move(keys), a::secret{std::string(a::keyring::secret_bytes, 'L')});
    if (!r) {
        throw std::runtime_error(r.error().message);
    }
    return std::move(*r);
}

// A revocation list the test fills by hand.
class memory_revocations final : public a::revocation_list {
public:
    [[nodiscard]] bool revoked(std::string_view jti) const override { return jtis.contains(std::string{jti}); }
    [[nodiscard]] std::expected<void, a::error> refresh() override { return {}; }
    std::set<std::string> jtis;
};

// Claims as raw JSON values by name; the default is a valid manager token for salon s1, valid at `now`.
using claims = std::map<std::string, std::string>;
inline claims manager_claims() {
    return {{"sub", R"("ana")"},
            {"role", R"("manager")"},
            {"salons", R"(["s1"])"},
            {"staff", R"("st1")"},
            {"iat", std::to_string(now.time_since_epoch().count() - 60)},
            {"exp", std::to_string(now.time_since_epoch().count() + 3600)},
            {"jti", R"("jti-1")"}};
}

inline std::string json_of(claims const& c) {
    std::string out = "{";
    for (auto const& [name, value] : c) {
        out += (out.size() > 1 ? "," : "") + ("\"" + name + "\":" + value);
    }
    return out + "}";
}

// header.payload.signature, the signature an HMAC with md (nullptr: no signature, as alg none has).
inline std::string mint(std::string const& header, std::string const& payload, std::string_view secret,
                        EVP_MD const* md = EVP_sha256()) {
    auto const input = a::base64url_encode(header) + "." + a::base64url_encode(payload);
    if (md == nullptr) {
        return input + ".";
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(md, secret.data(), static_cast<int>(secret.size()), reinterpret_cast<unsigned char const*>(input.data()),
         input.size(), mac, &length);
    return input + "." + a::base64url_encode(std::string_view{reinterpret_cast<char const*>(mac), length});
}

inline std::string hs256_header(std::string_view kid) {
    return R"({"alg":"HS256","typ":"JWT","kid":")" + std::string{kid} + "\"}";
}

} // namespace salonq::test::auth
