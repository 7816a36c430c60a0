#include "api/http/routes.hpp"

#include "api/http/handlers/admin.hpp"
#include "api/http/handlers/commands.hpp"
#include "api/http/handlers/loyalty.hpp"
#include "api/http/handlers/notifications.hpp"
#include "api/http/handlers/ops.hpp"
#include "api/http/handlers/pages.hpp"
#include "api/http/handlers/queries.hpp"
#include "api/http/handlers/staffing.hpp"
#include "api/http/handlers/stats.hpp"

#include <algorithm>
#include <array>

namespace salonq::api::http {
namespace {

// What a command route submits: the command type and the path parameter that is a payload field, if any.
struct command_spec {
    std::string_view type;
    std::string_view path_field;
};

template <command_spec const& S>
void command_route(services& ports, request const& req, replier reply) {
    submit_command(ports, req, std::move(reply), S.type, S.path_field);
}

constexpr command_spec register_salon{"register_salon", ""};
constexpr command_spec configure_salon{"configure_salon", ""};
constexpr command_spec add_staff{"add_staff", ""};
constexpr command_spec clock_in{"clock_in", "staffId"};
constexpr command_spec clock_out{"clock_out", "staffId"};
constexpr command_spec walk_in{"walk_in", ""};
constexpr command_spec start_next{"start", ""};
constexpr command_spec start_ticket{"start", "ticketId"};
constexpr command_spec complete{"complete", "ticketId"};
constexpr command_spec skip{"skip", "ticketId"};
constexpr command_spec undo_skip{"undo_skip", "ticketId"};
constexpr command_spec start_priority{"start_priority", "ticketId"};
constexpr command_spec cancel{"cancel", "ticketId"};
constexpr command_spec close_day{"close_day", ""};

std::array const routes{
    route{verb::get, "/healthz", access::open, auth::action::read_queue, get_healthz, "The process answers"},
    route{verb::get, "/readyz", access::open, auth::action::read_queue, get_readyz, "The process can decide commands"},
    route{.method = verb::get,
          .pattern = "/metrics",
          .does = auth::action::read_metrics,
          .handler = get_metrics,
          .summary = "Counters and histograms in Prometheus' text format (admin or monitor)",
          .across_salons = true},
    route{verb::get, "/v1/admin/projections", access::token, auth::action::read_stats, get_projections,
          "The read models this process keeps: their directories and last rebuilds (admin)"},
    route{verb::post, "/v1/admin/projections/{name}/rebuild", access::token, auth::action::read_stats,
          post_projection_rebuild,
          "Rebuild a read model from the events log while it serves (admin; name: views, stats or loyalty)"},

    route{verb::put, "/v1/salons/{salonId}", access::token, auth::action::register_salon, command_route<register_salon>,
          "Register a salon"},
    route{verb::patch, "/v1/salons/{salonId}/config", access::token, auth::action::configure,
          command_route<configure_salon>, "Change the priority limit, the queue cap or the service catalogue"},
    route{verb::post, "/v1/salons/{salonId}/staff", access::token, auth::action::manage_staff, command_route<add_staff>,
          "Add a staff member"},
    route{verb::post, "/v1/salons/{salonId}/staff/{staffId}/clock-in", access::token, auth::action::clock_in_out,
          command_route<clock_in>, "A staff member comes on duty"},
    route{verb::post, "/v1/salons/{salonId}/staff/{staffId}/clock-out", access::token, auth::action::clock_in_out,
          command_route<clock_out>, "A staff member goes off duty"},
    route{verb::post, "/v1/salons/{salonId}/walk-ins", access::token, auth::action::walk_in, command_route<walk_in>,
          "A customer joins the queue: a ticket with a token"},
    route{verb::post, "/v1/salons/{salonId}/start-next", access::token, auth::action::start, command_route<start_next>,
          "A staff member starts the next waiting ticket"},
    route{verb::post, "/v1/salons/{salonId}/tickets/{ticketId}/start", access::token, auth::action::start,
          command_route<start_ticket>, "A staff member starts this waiting ticket"},
    route{verb::post, "/v1/salons/{salonId}/tickets/{ticketId}/complete", access::token, auth::action::complete,
          command_route<complete>, "A service is done (with the amount paid)"},
    route{verb::post, "/v1/salons/{salonId}/tickets/{ticketId}/skip", access::token, auth::action::skip,
          command_route<skip>, "Skip a waiting ticket (the customer is not there)"},
    route{verb::post, "/v1/salons/{salonId}/tickets/{ticketId}/undo-skip", access::token, auth::action::undo_skip,
          command_route<undo_skip>, "Put a skipped ticket back in its place"},
    route{verb::post, "/v1/salons/{salonId}/tickets/{ticketId}/start-priority", access::token,
          auth::action::start_priority, command_route<start_priority>,
          "Start a ticket out of turn (audited, limited per day)"},
    route{verb::post, "/v1/salons/{salonId}/tickets/{ticketId}/cancel", access::token, auth::action::cancel,
          command_route<cancel>, "Cancel a waiting or skipped ticket"},
    route{verb::post, "/v1/salons/{salonId}/close-day", access::token, auth::action::close_day,
          command_route<close_day>, "End the day: waiting and skipped tickets become no-shows"},
    route{verb::get, "/v1/salons/{salonId}/commands/{commandId}", access::token, auth::action::read_queue, get_command,
          "The outcome of a command"},
    route{verb::get, "/v1/salons/{salonId}/queue", access::token, auth::action::read_queue, get_queue,
          "The live queue: waiting (with estimated waits), serving, skipped, staff, priority starts; ETag = seq"},
    route{verb::get, "/v1/salons/{salonId}/tickets/{ticketId}", access::token, auth::action::read_queue, get_ticket,
          "One ticket's status, position and estimated wait"},
    route{verb::get, "/v1/salons/{salonId}/events", access::token, auth::action::read_events, get_events,
          "A page of the salon's events after a seq (?after=SEQ&limit=N, at most 1000; nextAfter is the cursor)"},
    route{verb::get, "/v1/salons/{salonId}/priority-log", access::token, auth::action::read_events, get_priority_log,
          "The audit of priority starts: who ordered each, why, from which position, when"},
    route{verb::put, "/v1/salons/{salonId}/notifications", access::token, auth::action::manage_notifications,
          put_notification_settings, "Set the salon's webhook: address, secret (write-only), rules, max attempts"},
    route{verb::get, "/v1/salons/{salonId}/notifications", access::token, auth::action::read_notifications,
          get_notification_settings, "The salon's webhook settings (never the secret), outbox and dead letters"},
    route{verb::get, "/v1/salons/{salonId}/notifications/dead-letters", access::token, auth::action::read_notifications,
          get_dead_letters,
          "A page of the salon's dead letters (?after=ID&limit=N, at most 1000; nextAfter is the cursor)"},
    route{verb::post, "/v1/salons/{salonId}/notifications/dead-letters/redrive", access::token,
          auth::action::manage_notifications, post_redrive,
          "Put the salon's dead letters (up to 1000, or ?id=ID) back in the outbox"},
    route{verb::get, "/v1/salons/{salonId}/stats", access::token, auth::action::read_stats, get_stats,
          "A salon's figures per local day (?day=YYYY-MM-DD, or ?from=&to=, at most 366 days)"},
    route{verb::get, "/v1/salons/{salonId}/staffing", access::token, auth::action::read_stats, get_staffing,
          "Staff per hour of the week for a p90 wait within ?targetWait=MIN, from ?weeks=N or ?from=&to="},
    route{verb::get, "/v1/public/tickets/{salonId}/{ticketId}/{code}", access::open, auth::action::read_queue,
          get_ticket_by_link, "A customer's own ticket, through the link its walk-in answer gave (no token)"},
    route{verb::get, "/v1/salons/{salonId}/live", access::token, auth::action::read_queue, get_live_plain,
          "The queue view, then every change (WebSocket, or Server-Sent Events with Accept: text/event-stream)", true},
    route{.method = verb::get,
          .pattern = "/v1/customers/{customerId}/loyalty",
          .does = auth::action::read_loyalty,
          .handler = get_customer_loyalty,
          .summary = "A customer's loyalty balance and points ledger, newest first, at the salons the token reaches",
          .across_salons = true},
};

// The screens (web/): not the API, so not in its contract.
std::array const pages{
    route{verb::get, "/", access::open, auth::action::read_queue, get_page, "The screens' index and sign-in"},
    route{verb::get, "/board", access::open, auth::action::read_queue, get_page, "The queue board (a TV)"},
    route{verb::get, "/console", access::open, auth::action::read_queue, get_page, "The front-desk console"},
    route{verb::get, "/owner", access::open, auth::action::read_queue, get_page, "The owner's view"},
    route{verb::get, "/t/{salonId}/{ticketId}/{code}", access::open, auth::action::read_queue, get_customer_page,
          "A customer's page for a ticket link"},
    route{verb::get, "/t/{salonId}/{ticketId}/{code}/qr.svg", access::open, auth::action::read_queue, get_customer_qr,
          "The customer's page link as a QR code, for the console to show"},
    route{verb::get, "/assets/{file}", access::open, auth::action::read_queue, get_asset,
          "The pages' scripts, styles and images"},
};

template <std::size_t A, std::size_t B>
std::array<route, A + B> join(std::array<route, A> const& a, std::array<route, B> const& b) {
    std::array<route, A + B> all;
    std::ranges::copy(b, std::ranges::copy(a, all.begin()).out);
    return all;
}

std::array const served = join(routes, pages);

} // namespace

std::span<route const> api_routes() noexcept { return routes; }
std::span<route const> served_routes() noexcept { return served; }

} // namespace salonq::api::http
