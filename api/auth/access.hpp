#pragma once

#include "api/auth/errc.hpp"
#include "api/auth/principal.hpp"
#include "engine/domain/values.hpp"

#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>

namespace salonq::api::auth {

// What a route does, for the role table. A route names exactly one; the HTTP route table carries it.
enum class action : std::uint8_t {
    read_queue,           // GET queue, tickets, command outcomes, live view
    read_events,          // GET events, priority log
    read_stats,           // GET statistics and reports
    walk_in,              // POST walk-ins
    start,                // POST start (next or a given ticket)
    complete,             // POST complete
    clock_in_out,         // POST clock-in / clock-out
    skip,                 // POST skip
    undo_skip,            // POST undo-skip
    start_priority,       // POST start-priority
    cancel,               // POST cancel
    manage_staff,         // POST staff (add)
    configure,            // POST configure (config, services)
    close_day,            // POST close-day
    register_salon,       // POST a new salon
    issue_tokens,         // issuing and revoking tokens, rotating keys
    read_notifications,   // GET the webhook settings (never the secret) and the dead letters
    manage_notifications, // PUT the webhook settings, re-drive dead letters
    read_loyalty,         // GET a customer's loyalty balance and ledger (at the token's salons)
    read_metrics,         // GET /metrics (the process's counters: no salon's data)
};
inline constexpr std::size_t action_count = 20;

[[nodiscard]] std::string_view to_string(action a) noexcept;

// The role table: whether a role may do an action at all (in the salons its token names).
[[nodiscard]] bool allowed(role r, action a) noexcept;

// Whether the token reaches this salon: a token for salon A never reaches salon B; admin's "*" reaches every one.
[[nodiscard]] bool may_access(principal const& p, engine::salon_id const& salon) noexcept;

// Both checks, as the server makes them for every route on a salon: forbidden_salon first, then forbidden_action.
[[nodiscard]] std::expected<void, error> authorize(principal const& p, action a, engine::salon_id const& salon);

// The actor the engine sees, from the token and never from a request body: staff, manager and owner act as the
// staff member of their `staff` claim (the engine checks that member's own role in the salon's records); pos as a
// terminal named by sub; admin as the system. dashboard and analyst only read: none (a route that would send a
// command for them is a bug, and gets no actor that the engine would trust).
[[nodiscard]] std::optional<engine::actor> actor_of(principal const& p);

} // namespace salonq::api::auth
