#include "api/auth/errc.hpp"

#include "api/auth/names.hpp"

#include <algorithm>
#include <array>

namespace salonq::api::auth {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(errc::io_error) + 1> errc_names{
    "token_missing",    "token_malformed",     "token_unsupported_alg", "unknown_key",     "token_invalid",
    "token_expired",    "token_not_yet_valid", "claims_invalid",        "token_revoked",   "forbidden_salon",
    "forbidden_action", "invalid_request",     "keyring_unsafe",        "keyring_invalid", "io_error"};
static_assert(std::ranges::none_of(errc_names, &std::string_view::empty), "a code without a name");

} // namespace

std::string_view to_string(errc c) noexcept { return names::name_of(errc_names, c); }

} // namespace salonq::api::auth
