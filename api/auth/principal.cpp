#include "api/auth/principal.hpp"

#include "api/auth/names.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace salonq::api::auth {
namespace {

constexpr std::array<std::string_view, role_count> role_names{"pos",       "staff",   "manager", "owner",
                                                              "dashboard", "analyst", "monitor", "admin"};
static_assert(static_cast<std::size_t>(role::admin) + 1 == role_count);
static_assert(std::ranges::none_of(role_names, &std::string_view::empty), "a role without a name");

} // namespace

std::string_view to_string(role r) noexcept { return names::name_of(role_names, r); }

std::optional<role> parse_role(std::string_view s) noexcept { return names::value_of<role>(role_names, s); }

bool acts_as_staff(role r) noexcept { return r == role::staff || r == role::manager || r == role::owner; }

} // namespace salonq::api::auth
