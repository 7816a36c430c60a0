#include "api/traffic/token_minter.hpp"

#include "api/auth/keyring_file.hpp"
#include "api/auth/token.hpp"

#include <stdexcept>

namespace salonq::api::traffic {

token_minter::token_minter(std::filesystem::path keyring, std::chrono::seconds ttl)
    : keyring_(std::move(keyring)), ttl_(ttl) {}

std::string token_minter::admin() { return get({"admin", "", ""}); }

std::string token_minter::pos(std::string const& salon) { return get({"pos", salon, ""}); }

std::string token_minter::staff(std::string const& salon, std::string const& staff_id, std::string const& role) {
    return get({role, salon, staff_id});
}

std::string token_minter::get(key const& k) {
    auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    if (auto it = cache_.find(k); it != cache_.end() && now < it->second.renew_at) {
        return it->second.token;
    }
    auto const& [role, salon, staff] = k;
    // Read, never made: the server made it, and a keyring the server does not know would only sign refused tokens.
    auto keys = auth::load_keyring(keyring_);
    if (!keys) {
        // The driver cannot go on without tokens: this ends the run, with the keyring's own message.
        throw std::runtime_error("cannot read the keyring " + keyring_.string() + " (is --data the data directory of " +
                                 "the server?): " + keys.error().message);
    }
    auth::token_request request;
    request.role = auth::parse_role(role).value_or(auth::role::pos);
    request.ttl = ttl_;
    if (salon.empty()) {
        request.all_salons = true;
        request.subject = "traffic";
    } else {
        request.salons.emplace_back(salon);
        request.subject = staff.empty() ? "traffic-" + salon : staff;
    }
    if (!staff.empty()) {
        request.staff = engine::staff_id{staff};
    }
    auto issued = auth::issue_token(*keys, request, now);
    if (!issued) {
        throw std::runtime_error("cannot sign a token: " + issued.error().message);
    }
    cache_[k] = minted{issued->token, now + ttl_ / 2};
    return issued->token;
}

} // namespace salonq::api::traffic
