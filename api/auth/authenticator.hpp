#pragma once

#include "api/auth/errc.hpp"
#include "api/auth/principal.hpp"
#include "api/auth/revocation.hpp"
#include "api/auth/token.hpp"
#include "api/auth/token_cache.hpp"
#include "engine/domain/strong.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

namespace salonq::api::auth {

class link_signer;

struct authenticator_options {
    std::filesystem::path data{}; // the data directory: <data>/auth/revoked, and the keyring's default
    std::optional<std::filesystem::path> keyring{}; // --keyring / SALONQ_KEYRING; default <data>/auth/keyring.json
    verify_options verify{};
    // Kafka mode: the revocations every api instance reads from salonq.revocations, asked besides the file (not
    // owned; outlives the authenticator).
    revocation_list* shared_revocations = nullptr;
    // Verified tokens remembered (token_cache); 0 verifies every request in full.
    std::size_t token_cache_entries = token_cache::default_capacity;
};

// What a server holds to authenticate requests: the keyring (made on first use), the verifier and this machine's
// revocation list (in Kafka mode also the cluster's), wired together. authenticate() and check_link() from any thread;
// refresh() from a timer (about every second; calls are serialized): it re-reads the revocation list's new lines, and
// reloads the keyring when `salonq keys rotate` or `keys retire` replaced the file. A keyring that fails to reload
// (made unsafe, damaged) leaves the previous one in use and refresh() says why. A token verified once is remembered
// (token_cache) until its exp: a repeat is a hash and a lookup, still refused at once when its jti is revoked (both
// lists are checked on every hit), and forgotten with every other when the keyring is reloaded.
class authenticator {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<authenticator>, error> open(authenticator_options options,
                                                                                   std::chrono::sys_seconds now);

    // The principal of an Authorization header's value ("Bearer <token>").
    [[nodiscard]] std::expected<principal, error> authenticate(std::string_view authorization,
                                                               std::chrono::sys_seconds now) const;
    // Whether a principal's token is still good at now (verifier::still_valid): a live stream's, while it lasts.
    [[nodiscard]] bool still_valid(token_lease const& lease, std::chrono::sys_seconds now) const {
        return verifier_.still_valid(lease, now);
    }
    // Whether code is the customer link code of this ticket.
    [[nodiscard]] bool check_link(engine::salon_id const& salon, engine::ticket_id ticket, std::string_view code) const;
    // The link code to print on a ticket.
    [[nodiscard]] std::string link_code(engine::salon_id const& salon, engine::ticket_id ticket) const;

    [[nodiscard]] std::expected<void, error> refresh();

private:
    authenticator(std::filesystem::path keyring_file, keyring keys, std::shared_ptr<link_signer const> links,
                  std::unique_ptr<file_revocations> revocations, revocation_list* shared, verify_options options,
                  std::size_t cache_entries);
    // The link signer of a keyring, or why OpenSSL could not make it.
    [[nodiscard]] static std::expected<std::shared_ptr<link_signer const>, error> links_of(keyring const& keys);

    std::filesystem::path keyring_file_;
    std::unique_ptr<file_revocations> file_revocations_;
    either_revoked revocations_; // the file's, and the shared list's if any
    verifier verifier_;
    // The link codes of the keyring in use: replaced with it (a reload may bring another link secret).
    std::atomic<std::shared_ptr<link_signer const>> links_;
    mutable token_cache cache_;
    // The keyring file as last loaded: every change is a rename, so a new inode; its change time and size too, in
    // case two rotations between refreshes reuse the inode.
    struct file_stamp {
        std::uint64_t inode = 0;
        std::int64_t changed_ns = 0;
        std::int64_t size = 0;
        friend bool operator==(file_stamp const&, file_stamp const&) = default;
    };
    [[nodiscard]] static std::optional<file_stamp> stamp_of(std::filesystem::path const& file);

    std::mutex refresh_mutex_; // one refresh at a time; guards keyring_stamp_
    std::optional<file_stamp> keyring_stamp_;
};

} // namespace salonq::api::auth
