#include "api/auth/errc.hpp"

namespace salonq::api::auth {

std::string_view to_string(errc c) noexcept {
    switch (c) {
    case errc::token_missing:
        return "token_missing";
    case errc::token_malformed:
        return "token_malformed";
    case errc::token_unsupported_alg:
        return "token_unsupported_alg";
    case errc::unknown_key:
        return "unknown_key";
    case errc::token_invalid:
        return "token_invalid";
    case errc::token_expired:
        return "token_expired";
    case errc::token_not_yet_valid:
        return "token_not_yet_valid";
    case errc::claims_invalid:
        return "claims_invalid";
    case errc::token_revoked:
        return "token_revoked";
    case errc::forbidden_salon:
        return "forbidden_salon";
    case errc::forbidden_action:
        return "forbidden_action";
    case errc::invalid_request:
        return "invalid_request";
    case errc::keyring_unsafe:
        return "keyring_unsafe";
    case errc::keyring_invalid:
        return "keyring_invalid";
    case errc::io_error:
        return "io_error";
    }
    return "unknown";
}

} // namespace salonq::api::auth
