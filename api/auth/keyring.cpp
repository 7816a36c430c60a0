#include "api/auth/keyring.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>

namespace salonq::api::auth {
namespace {

bool kid_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

bool base64url_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// A key named by its day and a few random bytes: readable in `salonq keys list`, unique in practice.
[[nodiscard]] std::expected<key, error> fresh_key(std::chrono::sys_seconds now) {
    auto tag = random_secret(4);
    auto bytes = random_secret(keyring::secret_bytes);
    if (!tag || !bytes) {
        return std::unexpected(tag ? bytes.error() : tag.error());
    }
    auto const day = date::year_month_day{std::chrono::floor<date::days>(now)};
    auto kid = fmt::format("k{:04}{:02}{:02}-{}", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                           static_cast<unsigned>(day.day()), base64url_encode(tag->bytes()));
    return key{std::move(kid), std::move(*bytes), now};
}

} // namespace

secret::~secret() {
    if (!bytes_.empty()) {
        OPENSSL_cleanse(bytes_.data(), bytes_.size());
    }
}

std::expected<secret, error> random_secret(std::size_t n) {
    std::string bytes(n, '\0');
    if (n > INT_MAX || RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
        return std::unexpected(error{errc::io_error, "the random number generator (RAND_bytes) failed"});
    }
    return secret{std::move(bytes)};
}

keyring::keyring(std::vector<key> keys, auth::secret link_secret)
    : keys_(std::move(keys)), link_secret_(std::move(link_secret)) {}

std::expected<keyring, error> keyring::make(std::vector<key> keys, auth::secret link_secret) {
    auto bad = [](std::string message) { return std::unexpected(error{errc::keyring_invalid, std::move(message)}); };
    if (keys.empty()) {
        return bad("a keyring holds at least one key");
    }
    if (keys.size() > max_keys) {
        return bad(fmt::format("a keyring holds at most {} keys, this one {}", max_keys, keys.size()));
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto const& k = keys[i];
        if (k.kid.empty() || k.kid.size() > max_kid_length || !std::ranges::all_of(k.kid, kid_char)) {
            return bad(fmt::format("key {}: a kid is 1 to {} characters of A-Z a-z 0-9 . _ -", i + 1, max_kid_length));
        }
        if (k.secret.size() < secret_bytes) {
            return bad(
                fmt::format("key {}: its secret has {} bytes, fewer than {}", k.kid, k.secret.size(), secret_bytes));
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (keys[j].kid == k.kid) {
                return bad(fmt::format("kid {} appears twice", k.kid));
            }
        }
    }
    if (link_secret.size() < secret_bytes) {
        return bad(fmt::format("the link secret has {} bytes, fewer than {}", link_secret.size(), secret_bytes));
    }
    return keyring{std::move(keys), std::move(link_secret)};
}

std::expected<keyring, error> keyring::generate(std::chrono::sys_seconds now) {
    auto first = fresh_key(now);
    auto link = random_secret(secret_bytes);
    if (!first || !link) {
        return std::unexpected(first ? link.error() : first.error());
    }
    std::vector<key> keys;
    keys.push_back(std::move(*first));
    return make(std::move(keys), std::move(*link));
}

std::expected<keyring, error> keyring::rotated(std::chrono::sys_seconds now) const {
    auto next = fresh_key(now);
    if (!next) {
        return std::unexpected(next.error());
    }
    if (find(next->kid) != nullptr) {
        return std::unexpected(error{errc::io_error, "a fresh kid collided with a kept one; rotate again"});
    }
    std::vector<key> keys{keys_.begin(), keys_.end()};
    keys.push_back(std::move(*next));
    if (keys.size() > max_keys) {
        keys.erase(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(keys.size() - max_keys));
    }
    return make(std::move(keys), link_secret_);
}

std::expected<keyring, error> keyring::without(std::string_view kid) const {
    if (kid == current().kid) {
        return std::unexpected(error{errc::invalid_request, "the current key cannot be removed: rotate first"});
    }
    if (find(kid) == nullptr) {
        return std::unexpected(error{errc::invalid_request, fmt::format("no key {} in the keyring", kid)});
    }
    std::vector<key> keys;
    std::ranges::copy_if(keys_, std::back_inserter(keys), [&](key const& k) { return k.kid != kid; });
    return make(std::move(keys), link_secret_);
}

key const* keyring::find(std::string_view kid) const noexcept {
    auto const it = std::ranges::find(keys_, kid, &key::kid);
    return it == keys_.end() ? nullptr : &*it;
}

std::string base64url_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    auto const n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<unsigned char const*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '=') {
        out.pop_back();
    }
    std::ranges::replace(out, '+', '-');
    std::ranges::replace(out, '/', '_');
    return out;
}

std::expected<std::string, error> base64url_decode(std::string_view text) {
    auto bad = [] { return std::unexpected(error{errc::token_malformed, "not base64url"}); };
    constexpr std::size_t longest = std::size_t{1} << 20;
    if (text.size() > longest || text.size() % 4 == 1 || !std::ranges::all_of(text, base64url_char)) {
        return bad();
    }
    std::string padded{text};
    std::ranges::replace(padded, '-', '+');
    std::ranges::replace(padded, '_', '/');
    auto const pad = (4 - padded.size() % 4) % 4;
    padded.append(pad, '=');
    std::string out(padded.size() / 4 * 3, '\0');
    auto const n =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<unsigned char const*>(padded.data()), static_cast<int>(padded.size()));
    if (n < 0 || static_cast<std::size_t>(n) < pad) {
        return bad();
    }
    out.resize(static_cast<std::size_t>(n) - pad);
    if (base64url_encode(out) != text) { // unused trailing bits set: not what any encoder writes
        return bad();
    }
    return out;
}

} // namespace salonq::api::auth
