#include "api/http/handlers/queries.hpp"

#include "api/http/error.hpp"
#include "api/http/gzip.hpp"
#include "api/http/services.hpp"
#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "projections/queue/view_codec.hpp"

#include <simdjson.h>

#include <charconv>
#include <limits>
#include <tuple>

namespace salonq::api::http {
namespace {

// The salon's current view, or the answer: 400 for an invalid id, 404 for no such salon, 503 without views.
[[nodiscard]] std::expected<std::shared_ptr<projections::snapshot const>, response> view_of(services& ports,
                                                                                            std::string_view salon) {
    if (ports.views == nullptr) {
        return std::unexpected(
            error_response(status::service_unavailable, "not_ready", "this process serves no queue views"));
    }
    if (!engine::codec::is_valid_id(salon)) {
        return std::unexpected(
            error_response(status::bad_request, "invalid_value", std::string{engine::codec::id_rule}, "salonId"));
    }
    auto view = ports.views->view(engine::salon_id{std::string{salon}});
    if (!view) {
        return std::unexpected(
            error_response(status::not_found, "salon_not_found", "no salon with this id", "salonId"));
    }
    return view;
}

// A ticket number as the command routes take it: digits, no leading zero, not 0.
std::optional<engine::ticket_id> ticket_of(std::string_view text) {
    if (text.starts_with('0')) {
        return std::nullopt;
    }
    std::uint64_t n = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size() || n == 0) {
        return std::nullopt;
    }
    return engine::ticket_id{n};
}

// A JSON body with its ETag, compressed when the client takes gzip and it is worth it.
response cached_json(request const& req, std::string const& body, std::string const& etag) {
    if (not_modified(req, etag)) {
        auto r = json_response(status::not_modified, {});
        r.header("ETag", etag).header("Cache-Control", "no-cache");
        return r;
    }
    auto r = json_response(status::ok, body);
    r.header("ETag", etag).header("Cache-Control", "no-cache").header("Vary", "Accept-Encoding");
    if (body.size() >= 1024 && accepts_gzip(req.header("Accept-Encoding"))) {
        r.body = gzip(body);
        r.header("Content-Encoding", "gzip");
    }
    return r;
}

} // namespace

void get_queue(services& ports, request const& req, replier reply) {
    auto view = view_of(ports, req.param("salonId"));
    if (!view) {
        reply(std::move(view.error()));
        return;
    }
    auto r = cached_json(req, (*view)->json(), "\"" + std::to_string((*view)->seq.value()) + "\"");
    r.salon_id = std::string{req.param("salonId")};
    reply(std::move(r));
}

void get_ticket(services& ports, request const& req, replier reply) {
    auto view = view_of(ports, req.param("salonId"));
    if (!view) {
        reply(std::move(view.error()));
        return;
    }
    auto const ticket = ticket_of(req.param("ticketId"));
    if (!ticket) { // as the command routes answer it
        reply(error_response(status::bad_request, "invalid_value", "ticketId: a ticket number, e.g. 12", "ticketId"));
        return;
    }
    auto body = projections::encode_ticket((*view)->view, *ticket);
    if (!body) {
        reply(error_response(status::not_found, "ticket_not_found",
                             "no ticket with this id in the queue or among the recently ended ones", "ticketId"));
        return;
    }
    reply(cached_json(req, *body, "\"" + std::to_string((*view)->seq.value()) + "\""));
}

void get_ticket_by_link(services& ports, request const& req, replier reply) {
    auto const salon = req.param("salonId");
    auto const ticket = ticket_of(req.param("ticketId"));
    // One answer for every way a link can be wrong, so a guess learns nothing about which salons or tickets exist.
    auto const unknown = [] {
        return error_response(status::not_found, "link_not_found", "this ticket link is not valid (or has ended)");
    };
    if (!engine::codec::is_valid_id(salon) || !ticket ||
        !ports.auth.check_link(engine::salon_id{std::string{salon}}, *ticket, req.param("code"))) {
        reply(unknown());
        return;
    }
    auto view = view_of(ports, salon);
    auto body = view ? projections::encode_ticket((*view)->view, *ticket) : std::nullopt;
    if (!body) {
        reply(unknown());
        return;
    }
    reply(cached_json(req, *body, "\"" + std::to_string((*view)->seq.value()) + "\""));
}

namespace {

// A page of a salon's events (or its priority starts) after the `after` cursor.
void page_of_events(services& ports, request const& req, replier reply, bool priority_only) {
    auto view = view_of(ports, req.param("salonId"));
    if (!view) {
        reply(std::move(view.error()));
        return;
    }
    std::uint64_t after = 0;
    std::uint64_t limit = default_page;
    for (auto [name, target, most] : {std::tuple{"after", &after, std::numeric_limits<std::uint64_t>::max() - 1},
                                      std::tuple{"limit", &limit, std::uint64_t{max_page}}}) {
        auto const text = req.query_param(name);
        if (!text) {
            continue;
        }
        auto const [end, ec] = std::from_chars(text->data(), text->data() + text->size(), *target);
        if (ec != std::errc{} || end != text->data() + text->size() || *target > most ||
            (std::string_view{name} == "limit" && *target == 0)) {
            reply(error_response(
                status::bad_request, "invalid_value",
                fmt::format("{} is a whole number{}", name,
                            std::string_view{name} == "limit" ? fmt::format(" from 1 to {}", max_page) : std::string{}),
                name));
            return;
        }
    }
    auto const salon = engine::salon_id{std::string{req.param("salonId")}};
    auto page = ports.views->salon_events(salon, engine::seq_t{after}, limit, priority_only);
    if (!page) {
        reply(error_response(status::service_unavailable, "not_ready", page.error().message));
        return;
    }
    engine::codec::json_writer w;
    w.begin_object().field("salonId", salon.value()).key(priority_only ? "priorityStarts" : "events").begin_array();
    std::uint64_t last = after;
    for (auto const& e : *page) {
        w.raw(e);
    }
    if (!page->empty()) {
        simdjson::dom::parser parser;
        std::uint64_t seq = 0;
        if (parser.parse(page->back()).at_key("seq").get(seq) == simdjson::SUCCESS) {
            last = seq;
        }
    }
    w.end_array();
    bool const more = page->size() == limit;
    if (more) {
        w.field("nextAfter", last); // the cursor of the next page
    }
    w.end_object();
    auto r = json_response(status::ok, w.str());
    if (more) {
        r.header("Link", fmt::format("<{}?after={}&limit={}>; rel=\"next\"", req.path, last, limit));
    }
    r.salon_id = salon.value();
    reply(std::move(r));
}

} // namespace

void get_events(services& ports, request const& req, replier reply) {
    page_of_events(ports, req, std::move(reply), false);
}

void get_priority_log(services& ports, request const& req, replier reply) {
    page_of_events(ports, req, std::move(reply), true);
}

std::optional<projections::told_wait> join_wait_of(services& ports, engine::salon_id const& salon,
                                                   engine::ticket_id ticket) {
    if (ports.views == nullptr) {
        return std::nullopt;
    }
    auto told = ports.views->told_at_join(salon, ticket);
    return told ? *told : std::nullopt; // a store that cannot be read: the answer goes out without the estimate
}

std::string ticket_link(services& ports, engine::salon_id const& salon, engine::ticket_id ticket) {
    return fmt::format("/v1/public/tickets/{}/{}/{}", salon.value(), ticket.value(),
                       ports.auth.link_code(salon, ticket));
}

std::string ticket_page(services& ports, engine::salon_id const& salon, engine::ticket_id ticket) {
    return fmt::format("{}/t/{}/{}/{}", ports.options.public_url, salon.value(), ticket.value(),
                       ports.auth.link_code(salon, ticket));
}

} // namespace salonq::api::http
