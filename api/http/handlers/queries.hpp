#pragma once

// The read routes over the queue views: the queue of a salon (ETag = its seq, 304, gzip), one ticket, and a
// customer's own ticket through its unguessable link (no token: the link is the credential).

#include "api/http/router.hpp"
#include "projections/queue/told_wait.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace salonq::api::http {

void get_queue(services& ports, request const& req, replier reply);
void get_ticket(services& ports, request const& req, replier reply);
// GET .../events?after=SEQ&limit=N: a page of the salon's events (cursor: the last seq; at most max_page).
void get_events(services& ports, request const& req, replier reply);
// GET .../priority-log?after=SEQ&limit=N: the audit of priority starts (who, why, from which position, when).
void get_priority_log(services& ports, request const& req, replier reply);
inline constexpr std::size_t max_page = 1000;
inline constexpr std::size_t default_page = 100;

// GET /v1/public/tickets/{salonId}/{ticketId}/{code}: only that ticket, only with its code; 404 otherwise.
void get_ticket_by_link(services& ports, request const& req, replier reply);

// The wait predicted for a ticket when it was issued, if the views know the ticket and someone was on duty.
[[nodiscard]] std::optional<projections::told_wait> join_wait_of(services& ports, engine::salon_id const& salon,
                                                                 engine::ticket_id ticket);

// The path of a ticket's link (what a walk-in's answer carries).
[[nodiscard]] std::string ticket_link(services& ports, engine::salon_id const& salon, engine::ticket_id ticket);
// The address of a ticket's page for its customer (the answer's `page`): under serve --public-url when there is
// one, else a path on the address the request was sent to.
[[nodiscard]] std::string ticket_page(services& ports, engine::salon_id const& salon, engine::ticket_id ticket);

} // namespace salonq::api::http
