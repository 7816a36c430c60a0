#include "notify/deliver/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

#include <array>
#include <charconv>

namespace salonq::notify {
namespace {

std::string hex_hmac(std::string_view secret, std::int64_t t, std::string_view body) {
    auto const message = fmt::format("{}.{}", t, body);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int size = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<unsigned char const*>(message.data()), message.size(), mac.data(), &size);
    std::string out;
    out.reserve(std::size_t{size} * 2);
    for (unsigned int i = 0; i < size; ++i) {
        out += fmt::format("{:02x}", mac.at(i));
    }
    return out;
}

} // namespace

std::string sign(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
    return fmt::format("t={},v1={}", unix_seconds, hex_hmac(secret, unix_seconds, body));
}

signature_check verify_signature(std::string_view secret, std::string_view header, std::string_view body,
                                 std::int64_t now_unix_seconds, std::chrono::seconds tolerance) {
    if (!header.starts_with("t=")) {
        return signature_check::malformed;
    }
    auto const comma = header.find(",v1=");
    if (comma == std::string_view::npos) {
        return signature_check::malformed;
    }
    std::int64_t t = 0;
    auto const digits = header.substr(2, comma - 2);
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), t);
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
        return signature_check::malformed;
    }
    auto const given = header.substr(comma + 4);
    auto const expected = hex_hmac(secret, t, body);
    if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
        return signature_check::mismatch;
    }
    auto const age = now_unix_seconds - t;
    return age > tolerance.count() || -age > tolerance.count() ? signature_check::too_old : signature_check::ok;
}

} // namespace salonq::notify
