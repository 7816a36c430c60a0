#include "api/http/handlers/outcome_response.hpp"

#include "api/http/error.hpp"
#include "api/http/handlers/queries.hpp"
#include "api/http/services.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/json_writer.hpp"

namespace salonq::api::http {
namespace {

using engine::codec::json_writer;

bool creates(engine::event_body const& body) {
    return std::holds_alternative<engine::evt::salon_registered>(body) ||
           std::holds_alternative<engine::evt::staff_added>(body) ||
           std::holds_alternative<engine::evt::ticket_issued>(body);
}

void write_ticket(json_writer& w, engine::evt::ticket_issued const& t, services& ports, engine::salon_id const& salon) {
    w.key("ticket")
        .begin_object()
        .field("ticketId", t.ticket.value())
        .field("token", t.tok.str())
        .field("position", t.position)
        .field("durationMin", t.duration_min);
    // The wait predicted when it was issued and its likely range (kept by the views with the ticket, so a retry
    // reads the same).
    if (auto told = join_wait_of(ports, salon, t.ticket)) {
        w.field("estimatedWaitMs", told->wait_ms)
            .field("estimatedWaitLowMs", told->low_ms)
            .field("estimatedWaitHighMs", told->high_ms);
        if (told->today_pct < 100) {
            w.field("servedTodayPct", told->today_pct);
        }
    }
    w.field("link", ticket_link(ports, salon, t.ticket))
        .field("page", ticket_page(ports, salon, t.ticket))
        .end_object();
}

// The event as a reader without the customer's contact sees it: no phone, no customerId (the name stays: the queue
// view shows it too).
engine::event without_contact(engine::event e) {
    if (auto* issued = std::get_if<engine::evt::ticket_issued>(&e.body)) {
        issued->who.phone.clear();
        issued->who.id.reset();
    } else if (auto* completed = std::get_if<engine::evt::service_completed>(&e.body)) {
        completed->customer.reset();
    }
    return e;
}

response accepted(engine::runtime::outcome const& o, services& ports, outcome_reader reader) {
    auto const& last = std::get<engine::event>(o.entries.back());
    json_writer w;
    w.begin_object()
        .field("commandId", o.command.value())
        .field("salonId", o.salon.value())
        .field("status", "accepted")
        .field("seq", last.seq.value());
    w.key("events").begin_array();
    bool created = false;
    engine::evt::ticket_issued const* issued = nullptr;
    for (auto const& entry : o.entries) {
        auto const& e = std::get<engine::event>(entry);
        engine::codec::write_event(w, reader == outcome_reader::without_contact ? without_contact(e) : e);
        created = created || creates(e.body);
        if (issued == nullptr) {
            issued = std::get_if<engine::evt::ticket_issued>(&e.body);
        }
    }
    w.end_array();
    if (issued != nullptr) {
        write_ticket(w, *issued, ports, o.salon);
    }
    w.end_object();
    return json_response(created ? status::created : status::ok, w.str());
}

response refused(engine::runtime::outcome const& o) {
    auto const& r = std::get<engine::rejected_command>(o.entries.front());
    json_writer w;
    w.begin_object()
        .key("error")
        .begin_object()
        .field("code", engine::to_string(r.why.code))
        .field("message", r.why.message)
        .end_object()
        .field("commandId", o.command.value())
        .field("salonId", o.salon.value())
        .field("status", "rejected")
        .field("seq", r.at_seq.value())
        .end_object();
    return json_response(status_of(r.why.code), w.str());
}

} // namespace

response outcome_response(engine::runtime::outcome const& o, services& ports, outcome_reader reader) {
    auto r = o.accepted() ? accepted(o, ports, reader) : refused(o);
    r.salon_id = o.salon.value();
    r.command_id = o.command.value();
    return r;
}

} // namespace salonq::api::http
