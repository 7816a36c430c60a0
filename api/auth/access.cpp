#include "api/auth/access.hpp"

#include "api/auth/names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <utility>

namespace salonq::api::auth {
namespace {

using action_set = std::uint32_t;
static_assert(action_count <= 32);

constexpr action_set set_of(std::initializer_list<action> actions) {
    action_set s = 0;
    for (auto a : actions) {
        s |= action_set{1} << static_cast<unsigned>(a);
    }
    return s;
}

constexpr action_set reads_may = set_of({action::read_queue});
constexpr action_set pos_may = reads_may | set_of({action::walk_in, action::read_loyalty});
constexpr action_set staff_may =
    reads_may | set_of({action::walk_in, action::start, action::complete, action::clock_in_out});
constexpr action_set manager_may =
    staff_may | set_of({action::skip, action::undo_skip, action::start_priority, action::cancel, action::manage_staff,
                        action::configure, action::close_day, action::read_events, action::read_stats,
                        action::read_notifications, action::manage_notifications, action::read_loyalty});
constexpr action_set analyst_may =
    reads_may | set_of({action::read_events, action::read_stats, action::read_notifications, action::read_loyalty});
// A scraper's token: if it leaks, it reads counters, never a queue, and acts on nothing.
constexpr action_set monitor_may = set_of({action::read_metrics});
constexpr action_set everything_may = (action_set{1} << action_count) - 1;

// The role table, in one place (docs/auth.md shows it). Indexed by role.
constexpr std::array<action_set, role_count> table{
    pos_may,        // pos
    staff_may,      // staff
    manager_may,    // manager
    manager_may,    // owner
    reads_may,      // dashboard
    analyst_may,    // analyst
    monitor_may,    // monitor
    everything_may, // admin
};

constexpr std::array<std::string_view, action_count> action_names{"read_queue",
                                                                  "read_events",
                                                                  "read_stats",
                                                                  "walk_in",
                                                                  "start",
                                                                  "complete",
                                                                  "clock_in_out",
                                                                  "skip",
                                                                  "undo_skip",
                                                                  "start_priority",
                                                                  "cancel",
                                                                  "manage_staff",
                                                                  "configure",
                                                                  "close_day",
                                                                  "register_salon",
                                                                  "issue_tokens",
                                                                  "read_notifications",
                                                                  "manage_notifications",
                                                                  "read_loyalty",
                                                                  "read_metrics"};
static_assert(static_cast<std::size_t>(action::read_metrics) + 1 == action_count);
static_assert(std::ranges::none_of(action_names, &std::string_view::empty), "an action without a name");

} // namespace

std::string_view to_string(action a) noexcept { return names::name_of(action_names, a); }

bool allowed(role r, action a) noexcept {
    auto const i = static_cast<std::size_t>(r);
    return i < table.size() && (table[i] >> static_cast<unsigned>(a) & 1U) != 0;
}

bool may_access(principal const& p, engine::salon_id const& salon) noexcept {
    if (p.all_salons) {
        return p.role == role::admin; // the verifier refuses "*" for any other role; this holds without it too
    }
    return std::ranges::find(p.salons, salon) != p.salons.end();
}

std::expected<void, error> authorize(principal const& p, action a, engine::salon_id const& salon) {
    if (!may_access(p, salon)) {
        return std::unexpected(
            error{errc::forbidden_salon, fmt::format("this token is not for salon {}", salon.value())});
    }
    if (!allowed(p.role, a)) {
        return std::unexpected(
            error{errc::forbidden_action, fmt::format("role {} may not {}", to_string(p.role), to_string(a))});
    }
    return {};
}

std::optional<engine::actor> actor_of(principal const& p) {
    switch (p.role) {
    case role::staff:
    case role::manager:
    case role::owner:
        if (!p.staff) {
            return std::nullopt; // the verifier refuses such a token
        }
        return engine::actor{p.staff->value(), engine::actor_kind::staff};
    case role::pos:
        return engine::actor{p.subject, engine::actor_kind::terminal};
    case role::admin:
        return engine::actor{p.subject, engine::actor_kind::system};
    case role::dashboard:
    case role::analyst:
    case role::monitor:
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace salonq::api::auth
