#pragma once

// Commands for tests, built tersely and one way: ids and actors, one body builder per command named after it
// (register_salon, walk_in, start, ...), and make_command, the envelope around a body. Used by the domain
// scenarios (test/engine/scenario.hpp), the codec tables and the engine tests alike.

#include "engine/domain/commands.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace salonq::test {

using namespace salonq::engine;

// ---- ids and actors ---------------------------------------------------------------------------------------------

// A fixed moment in November 2026 plus `minutes`: commands' received_at in tests that need real-looking times.
inline instant at(int minutes) { return from_unix_ms(1'795'000'000'000) + std::chrono::minutes{minutes}; }

inline ticket_id tid(std::uint64_t n) { return ticket_id{n}; }
inline staff_id sid(std::string s) { return staff_id{std::move(s)}; }

inline actor terminal(std::string id = "pos-1") { return actor{std::move(id), actor_kind::terminal}; }
inline actor staff_actor(std::string id) { return actor{std::move(id), actor_kind::staff}; }
inline actor system_actor() { return actor{"engine", actor_kind::system}; }

// ---- command bodies ---------------------------------------------------------------------------------------------

inline command_body register_salon(std::string tz = "Europe/London", std::string name = "Salon One") {
    return cmd::register_salon{std::move(name), std::move(tz)};
}
inline command_body set_priority_limit(std::int32_t n) {
    return cmd::configure_salon{n, std::nullopt, std::nullopt, std::nullopt};
}
inline command_body set_max_waiting(std::int32_t n) {
    return cmd::configure_salon{std::nullopt, n, std::nullopt, std::nullopt};
}
inline command_body set_loyalty_rate(std::int32_t cents_per_point) {
    return cmd::configure_salon{std::nullopt, std::nullopt, std::nullopt, cents_per_point};
}
inline command_body set_services(std::vector<service_def> services) {
    return cmd::configure_salon{std::nullopt, std::nullopt, std::move(services), std::nullopt};
}
inline command_body add_staff(std::string id, role r, std::string name = "") {
    if (name.empty()) {
        name = "Name of " + id;
    }
    return cmd::add_staff{sid(std::move(id)), std::move(name), r};
}
inline command_body clock_in(std::string id) { return cmd::clock_in{sid(std::move(id))}; }
inline command_body clock_out(std::string id) { return cmd::clock_out{sid(std::move(id))}; }
inline command_body walk_in(customer who, std::vector<std::string> services = {"cut"}) {
    return cmd::walk_in{std::move(who), std::move(services)};
}
inline command_body walk_in(std::string name, std::vector<std::string> services = {"cut"}) {
    return walk_in(customer{std::move(name), "", std::nullopt}, std::move(services));
}
inline command_body start(std::string staff) { return cmd::start_service{sid(std::move(staff)), std::nullopt}; }
inline command_body start(std::string staff, std::uint64_t ticket) {
    return cmd::start_service{sid(std::move(staff)), tid(ticket)};
}
inline command_body complete(std::uint64_t ticket, std::optional<std::int64_t> amount = std::nullopt) {
    return cmd::complete_service{tid(ticket), amount};
}
inline command_body skip(std::uint64_t ticket, std::string reason = "not here") {
    return cmd::skip_ticket{tid(ticket), std::move(reason)};
}
inline command_body undo_skip(std::uint64_t ticket) { return cmd::undo_skip{tid(ticket)}; }
inline command_body priority(std::uint64_t ticket, std::string staff, std::string reason = "senior_citizen") {
    return cmd::start_priority{tid(ticket), sid(std::move(staff)), std::move(reason)};
}
inline command_body cancel(std::uint64_t ticket, std::string reason = "left") {
    return cmd::cancel_ticket{tid(ticket), std::move(reason)};
}
inline command_body close_day() { return cmd::close_day{}; }

// ---- the envelope -----------------------------------------------------------------------------------------------

// A command of salon `salon` with this body, without an expected seq. A client's command has no receive time
// (the engine stamps it), hence the default.
inline command make_command(std::string id, std::string salon, command_body body, instant received_at = {},
                            actor by = terminal()) {
    return command{command_id{std::move(id)},
                   salon_id{std::move(salon)},
                   std::nullopt,
                   std::move(by),
                   received_at,
                   std::move(body)};
}

} // namespace salonq::test
