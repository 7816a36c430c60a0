#pragma once

#include "api/auth/errc.hpp"

#include <chrono>
#include <cstddef>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::api::auth {

// Secret bytes: wiped when destroyed, never formatted (no operator<<, no fmt formatter), compared only in constant
// time by the code that uses them.
class secret {
public:
    secret() = default;
    explicit secret(std::string bytes) : bytes_(std::move(bytes)) {}
    ~secret();
    secret(secret const&) = default;
    secret& operator=(secret const&) = default;
    secret(secret&&) noexcept = default;
    secret& operator=(secret&&) noexcept = default;

    [[nodiscard]] std::string_view bytes() const noexcept { return bytes_; }
    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }

private:
    std::string bytes_;
};

// n bytes from OpenSSL's CSPRNG (RAND_bytes); io_error if it cannot give them.
[[nodiscard]] std::expected<secret, error> random_secret(std::size_t n);

// One signing key: its id (the JWT header's kid) and its secret.
struct key {
    std::string kid;
    auth::secret secret;
    std::chrono::sys_seconds created;
};

// The keys tokens are verified with (all of them) and issued with (the current one, the newest), and the secret of
// the customers' ticket links. A value: the file that keeps it is keyring_file.hpp's business.
class keyring {
public:
    static constexpr std::size_t max_keys = 3; // rotation keeps the previous keys valid, up to this many
    static constexpr std::size_t secret_bytes = 32;
    static constexpr std::size_t max_kid_length = 64;

    // Checks every kid (1-64 of A-Z a-z 0-9 . _ -, unique) and secret (at least 32 bytes); the last key is current.
    [[nodiscard]] static std::expected<keyring, error> make(std::vector<key> keys, auth::secret link_secret);
    // A new keyring with one fresh key and a fresh link secret.
    [[nodiscard]] static std::expected<keyring, error> generate(std::chrono::sys_seconds now);

    // This keyring plus a fresh current key; the oldest keys beyond max_keys are dropped (tokens signed with them
    // no longer verify).
    [[nodiscard]] std::expected<keyring, error> rotated(std::chrono::sys_seconds now) const;
    // This keyring without the key kid (not the current one).
    [[nodiscard]] std::expected<keyring, error> without(std::string_view kid) const;

    [[nodiscard]] key const* find(std::string_view kid) const noexcept;
    [[nodiscard]] key const& current() const noexcept { return keys_.back(); }
    [[nodiscard]] std::span<key const> keys() const noexcept { return keys_; }
    [[nodiscard]] auth::secret const& link_secret() const noexcept { return link_secret_; }

private:
    keyring(std::vector<key> keys, auth::secret link_secret);
    std::vector<key> keys_; // oldest first; never empty
    auth::secret link_secret_;
};

// base64url without padding (RFC 4648 section 5), as JWTs and link codes use it.
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
// Refuses any character outside the base64url alphabet, padding, and a length no encoding gives.
[[nodiscard]] std::expected<std::string, error> base64url_decode(std::string_view text);

} // namespace salonq::api::auth
