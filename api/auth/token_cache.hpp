#pragma once

#include "api/auth/principal.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>

namespace salonq::api::auth {

// The principals of tokens verified recently, so a client that sends the same bearer token on every request pays
// for the HMAC and the claims' JSON once, not per request. Keyed by the token's SHA-256 (the token's text is never
// kept, logged or compared), each entry lives until its token's exp + leeway at most: a hit past that is a miss, and
// the full verification then refuses the token as expired. The cache answers only "this exact token verified
// before"; what can change afterwards is checked by its user on every hit (the revocation list) or by clearing it
// (a key rotation or retirement). At most `capacity` entries: when full, expired entries go first, then arbitrary
// ones. Thread-safe: find() takes a shared lock, insert() and clear() an exclusive one.
class token_cache {
public:
    static constexpr std::size_t default_capacity = 4096;

    explicit token_cache(std::size_t capacity = default_capacity,
                         std::chrono::seconds leeway = std::chrono::seconds{30})
        : capacity_(capacity), leeway_(leeway) {}

    // The principal the token verified as, if it did and has not expired by now.
    [[nodiscard]] std::optional<principal> find(std::string_view token, std::chrono::sys_seconds now) const;
    // The count of clear() calls: read it before verifying a token and pass it to insert().
    [[nodiscard]] std::uint64_t generation() const;
    // Remembers a token that verified as `who`, unless the cache was cleared since `generation` was read (the token
    // may have been verified with keys replaced since), or the capacity is 0.
    void insert(std::string_view token, principal const& who, std::chrono::sys_seconds now, std::uint64_t generation);
    // Forgets the token (e.g. a hit whose jti has since been revoked).
    void erase(std::string_view token);
    void clear();
    [[nodiscard]] std::size_t size() const;

private:
    using digest = std::array<unsigned char, 32>;
    struct digest_hash {
        [[nodiscard]] std::size_t operator()(digest const& d) const noexcept {
            std::size_t h = 0;
            std::memcpy(&h, d.data(), sizeof h); // a SHA-256 is uniform: its first bytes are a fine hash
            return h;
        }
    };
    [[nodiscard]] static digest digest_of(std::string_view token);

    std::size_t capacity_;
    std::chrono::seconds leeway_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<digest, principal, digest_hash> entries_; // under mutex_
    std::uint64_t generation_ = 0;                               // under mutex_
};

} // namespace salonq::api::auth
