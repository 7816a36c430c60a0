#pragma once

#include "engine/domain/time.hpp"
#include "engine/domain/values.hpp"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace salonq::engine {

namespace evt {

struct salon_registered {
    std::string name;
    std::string timezone;
    salon_config config;
    friend bool operator==(salon_registered const&, salon_registered const&) = default;
};
// Carries the whole configuration after the change, so a consumer never needs the previous one.
struct salon_configured {
    salon_config config;
    std::vector<service_def> services;
    friend bool operator==(salon_configured const&, salon_configured const&) = default;
};
struct staff_added {
    staff_id staff;
    std::string name;
    role staff_role = role::staff;
    friend bool operator==(staff_added const&, staff_added const&) = default;
};
struct staff_clocked_in {
    staff_id staff;
    friend bool operator==(staff_clocked_in const&, staff_clocked_in const&) = default;
};
struct staff_clocked_out {
    staff_id staff;
    friend bool operator==(staff_clocked_out const&, staff_clocked_out const&) = default;
};
struct ticket_issued {
    ticket_id ticket;
    token tok;
    customer who;
    std::vector<std::string> services;
    std::int64_t price_cents = 0;
    std::int32_t duration_min = 0;
    std::uint64_t place = 0;    // the ticket's place in line, kept by the engine across skip/undo
    std::uint32_t position = 0; // 1-based position among waiting tickets when issued
    friend bool operator==(ticket_issued const&, ticket_issued const&) = default;
};
struct service_started {
    ticket_id ticket;
    staff_id staff;
    std::uint32_t position = 0; // position in line it was taken from
    std::int64_t waited_ms = 0;
    friend bool operator==(service_started const&, service_started const&) = default;
};
struct service_completed {
    ticket_id ticket;
    staff_id staff;
    std::int64_t duration_ms = 0;
    std::int64_t amount_cents = 0;
    std::optional<customer_id> customer;
    friend bool operator==(service_completed const&, service_completed const&) = default;
};
struct ticket_skipped {
    ticket_id ticket;
    std::string reason;
    std::uint32_t position = 0;
    friend bool operator==(ticket_skipped const&, ticket_skipped const&) = default;
};
struct skip_undone {
    ticket_id ticket;
    std::uint32_t position = 0; // its position among the waiting tickets after the undo
    friend bool operator==(skip_undone const&, skip_undone const&) = default;
};
// The audit record of a priority start: who ordered it, in which role, why, from which position, which staff
// member serves, and (in the envelope) when.
struct priority_started {
    ticket_id ticket;
    staff_id staff;
    priority_reason reason = priority_reason::system_exception;
    std::string ordered_by;
    role ordered_by_role = role::manager;
    std::uint32_t position_before = 0;
    local_day day = 0;
    std::int32_t used_today = 0; // including this one
    std::int64_t waited_ms = 0;
    friend bool operator==(priority_started const&, priority_started const&) = default;
};
struct ticket_cancelled {
    ticket_id ticket;
    std::string reason;
    ticket_status was = ticket_status::waiting;
    friend bool operator==(ticket_cancelled const&, ticket_cancelled const&) = default;
};
struct day_closed {
    local_day day = 0;
    std::vector<ticket_id> no_shows;
    friend bool operator==(day_closed const&, day_closed const&) = default;
};

} // namespace evt

using event_body =
    std::variant<evt::salon_registered, evt::salon_configured, evt::staff_added, evt::staff_clocked_in,
                 evt::staff_clocked_out, evt::ticket_issued, evt::service_started, evt::service_completed,
                 evt::ticket_skipped, evt::skip_undone, evt::priority_started, evt::ticket_cancelled, evt::day_closed>;

// An accepted change to one salon. seq is gapless per salon; cause is the commandId that produced it.
struct event {
    salon_id salon;
    seq_t seq;
    command_id cause;
    actor by;
    instant at{};
    event_body body;
    friend bool operator==(event const&, event const&) = default;
};

// Why a command was refused. A refusal is recorded (so a retried commandId gets the same answer) but changes
// nothing, so it takes no seq of its own.
struct rejection {
    rejection_code code = rejection_code::salon_not_found;
    std::string message;
    friend bool operator==(rejection const&, rejection const&) = default;
};

// A refused command as recorded in the events log: the outcome a retry of the same commandId gets back.
struct rejected_command {
    salon_id salon;
    seq_t at_seq; // the salon's seq when the command was decided
    command_id cause;
    actor by;
    instant at{};
    std::string command_type;
    rejection why;
    friend bool operator==(rejected_command const&, rejected_command const&) = default;
};

// One record of the events log: an accepted change or a recorded refusal.
using log_entry = std::variant<event, rejected_command>;

[[nodiscard]] std::string_view type_name(event_body const& body) noexcept;

} // namespace salonq::engine
