#include "api/auth/principal.hpp"

#include <array>
#include <utility>

namespace salonq::api::auth {
namespace {

constexpr std::array<std::pair<role, std::string_view>, role_count> names{{
    {role::pos, "pos"},
    {role::staff, "staff"},
    {role::manager, "manager"},
    {role::owner, "owner"},
    {role::dashboard, "dashboard"},
    {role::analyst, "analyst"},
    {role::admin, "admin"},
}};

} // namespace

std::string_view to_string(role r) noexcept {
    for (auto const& [value, name] : names) {
        if (value == r) {
            return name;
        }
    }
    return "unknown";
}

std::optional<role> parse_role(std::string_view s) noexcept {
    for (auto const& [value, name] : names) {
        if (name == s) {
            return value;
        }
    }
    return std::nullopt;
}

bool acts_as_staff(role r) noexcept { return r == role::staff || r == role::manager || r == role::owner; }

} // namespace salonq::api::auth
