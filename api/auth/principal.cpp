#include "api/auth/principal.hpp"

#include "api/auth/names.hpp"

#include <array>
#include <utility>

namespace salonq::api::auth {
namespace {

constexpr std::array<std::pair<role, std::string_view>, role_count> role_names{{
    {role::pos, "pos"},
    {role::staff, "staff"},
    {role::manager, "manager"},
    {role::owner, "owner"},
    {role::dashboard, "dashboard"},
    {role::analyst, "analyst"},
    {role::admin, "admin"},
}};

} // namespace

std::string_view to_string(role r) noexcept { return names::name_of<role>(role_names, r); }

std::optional<role> parse_role(std::string_view s) noexcept { return names::value_of<role>(role_names, s); }

bool acts_as_staff(role r) noexcept { return r == role::staff || r == role::manager || r == role::owner; }

} // namespace salonq::api::auth
