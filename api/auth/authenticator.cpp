#include "api/auth/authenticator.hpp"

#include "api/auth/keyring_file.hpp"
#include "api/auth/ticket_link.hpp"

#include <sys/stat.h>

namespace salonq::api::auth {
std::optional<authenticator::file_stamp> authenticator::stamp_of(std::filesystem::path const& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        return std::nullopt;
    }
    constexpr std::int64_t ns_per_s = 1'000'000'000;
    return file_stamp{static_cast<std::uint64_t>(st.st_ino),
                      static_cast<std::int64_t>(st.st_ctim.tv_sec) * ns_per_s + st.st_ctim.tv_nsec,
                      static_cast<std::int64_t>(st.st_size)};
}

std::expected<std::unique_ptr<authenticator>, error> authenticator::open(authenticator_options options,
                                                                         std::chrono::sys_seconds now) {
    auto file = options.keyring ? *options.keyring : default_keyring_path(options.data);
    auto keys = load_or_create_keyring(file, now);
    if (!keys) {
        return std::unexpected(std::move(keys.error()));
    }
    auto links = links_of(*keys);
    if (!links) {
        return std::unexpected(std::move(links.error()));
    }
    auto revocations = file_revocations::open(default_revocations_path(options.data));
    if (!revocations) {
        return std::unexpected(std::move(revocations.error()));
    }
    auto const stamp = stamp_of(file);
    std::unique_ptr<authenticator> a{new authenticator{std::move(file), std::move(*keys), std::move(*links),
                                                       std::move(*revocations), options.shared_revocations,
                                                       options.verify, options.token_cache_entries}};
    a->keyring_stamp_ = stamp;
    return a;
}

authenticator::authenticator(std::filesystem::path keyring_file, keyring keys, std::shared_ptr<link_signer const> links,
                             std::unique_ptr<file_revocations> revocations, revocation_list* shared,
                             verify_options options, std::size_t cache_entries)
    : keyring_file_(std::move(keyring_file)), file_revocations_(std::move(revocations)),
      revocations_(*file_revocations_, shared), verifier_(std::move(keys), revocations_, options),
      links_(std::move(links)), cache_(cache_entries, options.leeway) {}

std::expected<std::shared_ptr<link_signer const>, error> authenticator::links_of(keyring const& keys) {
    auto links = std::make_shared<link_signer const>(keys.link_secret());
    if (!links->valid()) {
        return std::unexpected(error{errc::keyring_invalid, "OpenSSL could not key HMAC-SHA256 with the keyring's "
                                                            "link secret: no customer link could be made or checked"});
    }
    return links;
}

std::expected<principal, error> authenticator::authenticate(std::string_view authorization,
                                                            std::chrono::sys_seconds now) const {
    auto token = bearer_token(authorization);
    if (!token) {
        return std::unexpected(std::move(token.error()));
    }
    if (auto known = cache_.find(*token, now)) {
        if (!revocations_.revoked(known->jti)) {
            return std::move(*known);
        }
        cache_.erase(*token); // revoked since: the full verification below says so
    }
    auto const generation = cache_.generation(); // before the keys are read: a reload in between voids the entry
    auto who = verifier_.verify(*token, now);
    if (who) {
        cache_.insert(*token, *who, now, generation);
    }
    return who;
}

bool authenticator::check_link(engine::salon_id const& salon, engine::ticket_id ticket, std::string_view code) const {
    return links_.load()->check(salon, ticket, code);
}

std::string authenticator::link_code(engine::salon_id const& salon, engine::ticket_id ticket) const {
    return links_.load()->code(salon, ticket);
}

std::expected<void, error> authenticator::refresh() {
    std::lock_guard refreshing{refresh_mutex_};
    auto revoked = revocations_.refresh();
    if (auto const stamp = stamp_of(keyring_file_); stamp && stamp != keyring_stamp_) {
        auto keys = load_keyring(keyring_file_);
        if (!keys) {
            return std::unexpected(std::move(keys.error()));
        }
        auto links = links_of(*keys);
        if (!links) {
            return std::unexpected(std::move(links.error())); // the keyring in use stays, its links with it
        }
        links_.store(std::move(*links));
        verifier_.replace_keys(std::move(*keys));
        cache_.clear(); // a retired key's tokens must fail from now on
        keyring_stamp_ = stamp;
    }
    return revoked;
}

} // namespace salonq::api::auth
