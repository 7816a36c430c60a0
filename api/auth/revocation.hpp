#pragma once

#include "api/auth/errc.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace salonq::api::auth {

// The jtis of revoked tokens, as the verifier asks about them. revoked() is called on every request from any
// thread; refresh() brings in what was revoked elsewhere since (a timer in the server calls it, e.g. every second).
//
// Kafka mode: every api instance must learn a revocation, so besides the file each one reads the compacted topic
// salonq.revocations (api/kafka/revocation_topic), which `salonq token revoke --brokers` produces to; the
// authenticator asks both (either_revoked).
class revocation_list {
public:
    virtual ~revocation_list() = default;
    [[nodiscard]] virtual bool revoked(std::string_view jti) const = 0;
    [[nodiscard]] virtual std::expected<void, error> refresh() = 0;
};

// Revoked if either list says so; refresh() refreshes both (the first error is returned, both are refreshed).
// Does not own the lists.
class either_revoked final : public revocation_list {
public:
    either_revoked(revocation_list& first, revocation_list* second) : first_(first), second_(second) {}
    [[nodiscard]] bool revoked(std::string_view jti) const override {
        return first_.revoked(jti) || (second_ != nullptr && second_->revoked(jti));
    }
    [[nodiscard]] std::expected<void, error> refresh() override {
        auto a = first_.refresh();
        auto b = second_ != nullptr ? second_->refresh() : std::expected<void, error>{};
        return a ? b : a;
    }

private:
    revocation_list& first_;
    revocation_list* second_;
};

// The longest a token may live (salonq token issue --ttl refuses more). A revocation of a bare jti, whose token's
// expiry is not known, is kept this long: every token issued before it has expired by then.
inline constexpr std::chrono::hours longest_token_life{24 * 30};

// A jti: 1 to 128 printable ASCII characters, no space (what the issuer makes: is_issued_jti, api/auth/token.hpp).
[[nodiscard]] bool valid_jti(std::string_view jti) noexcept;

// The revocation list of one machine: an append-only file, <data>/auth/revoked, of "jti expiry-seconds" lines
// (mode 0600). `salonq token revoke` appends under an flock of <file>.lock and fsyncs; when some entries have
// expired it rewrites the file without them (atomically, a new file renamed over it). A running server's refresh()
// stats the file and reads only the bytes appended since its last refresh, or the whole file when it was replaced
// (another inode) or shrank: a stat per call when nothing changed. Thread-safe: revoked() takes a shared lock,
// refresh() an exclusive one while it inserts.
class file_revocations final : public revocation_list {
public:
    // Reads the file (none yet is an empty list).
    [[nodiscard]] static std::expected<std::unique_ptr<file_revocations>, error> open(std::filesystem::path file);

    [[nodiscard]] bool revoked(std::string_view jti) const override;
    [[nodiscard]] std::expected<void, error> refresh() override;
    [[nodiscard]] std::size_t size() const;

    // Durably revokes jti until `until` (its token's expiry; longest_token_life from now when not known), dropping
    // the entries that expired before now. Also added to this object's list.
    [[nodiscard]] std::expected<void, error> revoke(std::string_view jti, std::chrono::sys_seconds until,
                                                    std::chrono::sys_seconds now);

private:
    explicit file_revocations(std::filesystem::path file) : file_(std::move(file)) {}

    std::filesystem::path file_;
    std::mutex refresh_mutex_;        // one refresh at a time; guards inode_, read_up_to_ and partial_
    mutable std::shared_mutex mutex_; // guards entries_
    // Looked up by string_view, without a copy of the jti per request.
    struct jti_hash {
        using is_transparent = void;
        [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, std::int64_t, jti_hash, std::equal_to<>> entries_; // jti -> expiry (seconds)
    // What refresh() has read: the file's inode and how far.
    std::uint64_t inode_ = 0;
    std::uint64_t read_up_to_ = 0;
    std::string partial_; // a line not yet ended by its newline (a writer mid-append)
};

// Where the revocation list lives: <data>/auth/revoked.
[[nodiscard]] std::filesystem::path default_revocations_path(std::filesystem::path const& data_dir);

} // namespace salonq::api::auth
