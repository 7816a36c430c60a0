#pragma once

#include "api/cli/commands.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace salonq::api {

// What `salonq token ...` and `salonq keys ...` take.
struct auth_options {
    std::optional<std::filesystem::path> keyring; // --keyring or SALONQ_KEYRING; default <data>/auth/keyring.json
    std::string role;
    std::vector<std::string> salons;
    bool all_salons = false;
    std::optional<std::string> staff;
    std::optional<std::string> subject;
    std::string ttl;
    std::string revoke; // a jti, or a whole token
    std::string kid;
    std::optional<std::string> sign_in; // token issue --sign-in PAGE_URL: print a sign-in link and its QR code
};

// token issue: prints the token alone on stdout (so that `T=$(salonq token issue ...)` captures it), its jti and
// expiry on stderr. With --sign-in PAGE_URL, stdout is instead the page's sign-in link as a QR code, then the link.
int run_token_issue(store_options const& so, auth_options const& ao);
// token revoke JTI|TOKEN: kept in <data>/auth/revoked until the token's expiry; with ko.brokers also produced to
// salonq.revocations, which every api instance of the cluster reads.
int run_token_revoke(store_options const& so, auth_options const& ao, kafka_options const& ko);
// keys rotate | list | retire KID: the keyring, never its secrets.
int run_keys_rotate(store_options const& so, auth_options const& ao);
int run_keys_list(store_options const& so, auth_options const& ao);
int run_keys_retire(store_options const& so, auth_options const& ao);

} // namespace salonq::api
