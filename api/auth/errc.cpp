#include "api/auth/errc.hpp"

#include "api/auth/names.hpp"

#include <array>

namespace salonq::api::auth {
namespace {

constexpr std::array<std::pair<errc, std::string_view>, 15> errc_names{{
    {errc::token_missing, "token_missing"},
    {errc::token_malformed, "token_malformed"},
    {errc::token_unsupported_alg, "token_unsupported_alg"},
    {errc::unknown_key, "unknown_key"},
    {errc::token_invalid, "token_invalid"},
    {errc::token_expired, "token_expired"},
    {errc::token_not_yet_valid, "token_not_yet_valid"},
    {errc::claims_invalid, "claims_invalid"},
    {errc::token_revoked, "token_revoked"},
    {errc::forbidden_salon, "forbidden_salon"},
    {errc::forbidden_action, "forbidden_action"},
    {errc::invalid_request, "invalid_request"},
    {errc::keyring_unsafe, "keyring_unsafe"},
    {errc::keyring_invalid, "keyring_invalid"},
    {errc::io_error, "io_error"},
}};

} // namespace

std::string_view to_string(errc c) noexcept { return names::name_of<errc>(errc_names, c); }

} // namespace salonq::api::auth
