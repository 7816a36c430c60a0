#pragma once

#include "engine/domain/time.hpp"
#include "engine/domain/values.hpp"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace salonq::engine {

namespace cmd {

struct register_salon {
    std::string name;
    std::string timezone;
};
// A partial update: absent fields keep their value.
struct configure_salon {
    std::optional<std::int32_t> priority_daily_limit;
    std::optional<std::int32_t> max_waiting;
    std::optional<std::vector<service_def>> services;
    std::optional<std::int32_t> loyalty_cents_per_point;
};
struct add_staff {
    staff_id staff;
    std::string name;
    role staff_role = role::staff;
};
struct clock_in {
    staff_id staff;
};
struct clock_out {
    staff_id staff;
};
struct walk_in {
    customer who;
    std::vector<std::string> services;
};
// Start the next waiting ticket, or the given one.
struct start_service {
    staff_id staff;
    std::optional<ticket_id> ticket;
};
struct complete_service {
    ticket_id ticket;
    std::optional<std::int64_t> amount_cents;
};
struct skip_ticket {
    ticket_id ticket;
    std::string reason;
};
struct undo_skip {
    ticket_id ticket;
};
// The reason is kept as text so that an unknown reason is a domain rejection (invalid_reason) with an audit
// trail, not a parse error.
struct start_priority {
    ticket_id ticket;
    staff_id staff;
    std::string reason;
};
struct cancel_ticket {
    ticket_id ticket;
    std::string reason;
};
struct close_day {};

} // namespace cmd

using command_body =
    std::variant<cmd::register_salon, cmd::configure_salon, cmd::add_staff, cmd::clock_in, cmd::clock_out, cmd::walk_in,
                 cmd::start_service, cmd::complete_service, cmd::skip_ticket, cmd::undo_skip, cmd::start_priority,
                 cmd::cancel_ticket, cmd::close_day>;

// A command as the engine decides it: the client's envelope plus the time the engine received it.
struct command {
    command_id id;
    salon_id salon;
    std::optional<seq_t> expected_seq;
    actor by;
    instant received_at{};
    command_body body;
};

[[nodiscard]] std::string_view type_name(command_body const& body) noexcept;

} // namespace salonq::engine
