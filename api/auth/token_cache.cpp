#include "api/auth/token_cache.hpp"

#include <openssl/evp.h>

#include <mutex>
#include <stdexcept>

namespace salonq::api::auth {

token_cache::digest token_cache::digest_of(std::string_view token) {
    digest d{};
    unsigned int size = 0;
    if (EVP_Digest(token.data(), token.size(), d.data(), &size, EVP_sha256(), nullptr) != 1 || size != d.size()) {
        throw std::runtime_error("SHA-256 failed"); // OpenSSL out of memory: the request ends
    }
    return d;
}

std::optional<principal> token_cache::find(std::string_view token, std::chrono::sys_seconds now) const {
    auto const key = digest_of(token);
    std::shared_lock lock{mutex_};
    auto it = entries_.find(key);
    if (it == entries_.end() || now > it->second.expires + leeway_) {
        return std::nullopt;
    }
    return it->second;
}

std::uint64_t token_cache::generation() const {
    std::shared_lock lock{mutex_};
    return generation_;
}

void token_cache::insert(std::string_view token, principal const& who, std::chrono::sys_seconds now,
                         std::uint64_t generation) {
    if (capacity_ == 0) {
        return;
    }
    auto const key = digest_of(token);
    std::unique_lock lock{mutex_};
    if (generation != generation_) {
        return;
    }
    if (entries_.size() >= capacity_ && !entries_.contains(key)) {
        std::erase_if(entries_, [&](auto const& entry) { return now > entry.second.expires + leeway_; });
        while (entries_.size() >= capacity_) {
            entries_.erase(entries_.begin());
        }
    }
    entries_.insert_or_assign(key, who);
}

void token_cache::erase(std::string_view token) {
    auto const key = digest_of(token);
    std::unique_lock lock{mutex_};
    entries_.erase(key);
}

void token_cache::clear() {
    std::unique_lock lock{mutex_};
    entries_.clear();
    ++generation_;
}

std::size_t token_cache::size() const {
    std::shared_lock lock{mutex_};
    return entries_.size();
}

} // namespace salonq::api::auth
