#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>

namespace salonq::api::traffic {

// The driver's bearer tokens, signed in this process with the data directory's keyring as `salonq token issue`
// does, so nothing is pasted between processes; the keyring must exist (`serve` makes it). Each lives `ttl` and is
// signed again once less than half of it is left; the keyring file is read again then (a rotation by `salonq keys
// rotate` is picked up). Tokens are never printed or logged. Not thread-safe.
class token_minter {
public:
    explicit token_minter(std::filesystem::path keyring, std::chrono::seconds ttl = std::chrono::minutes{15});

    // Every salon, for setting salons up and reading their views.
    [[nodiscard]] std::string admin();
    // A front-desk terminal of one salon (walk-ins).
    [[nodiscard]] std::string pos(std::string const& salon);
    // A staff member of one salon acting as themself; role staff, manager or owner.
    [[nodiscard]] std::string staff(std::string const& salon, std::string const& staff_id, std::string const& role);

private:
    using key = std::tuple<std::string, std::string, std::string>; // role, salon, staff
    struct minted {
        std::string token;
        std::chrono::sys_seconds renew_at;
    };
    std::string get(key const& k);

    std::filesystem::path keyring_;
    std::chrono::seconds ttl_;
    std::map<key, minted> cache_;
};

} // namespace salonq::api::traffic
