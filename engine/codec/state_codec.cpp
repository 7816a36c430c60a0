#include "engine/codec/state_codec.hpp"

#include "engine/codec/shared.hpp"

#include <fmt/format.h>

namespace salonq::engine::codec {
namespace {

void write_ticket(json_writer& w, ticket const& t) {
    w.begin_object().field("ticketId", t.id.value()).field("token", t.tok.str()).key("customer");
    write_customer(w, t.who);
    w.key("services");
    write_codes(w, t.services);
    w.field("priceCents", t.price_cents)
        .field("durationMin", t.duration_min)
        .field("status", to_string(t.status))
        .field("place", t.place)
        .key("joinedAt")
        .time(t.joined_at);
    if (t.started_at) {
        w.key("startedAt").time(*t.started_at);
    }
    if (t.staff) {
        w.field("staffId", t.staff->value());
    }
    if (t.priority) {
        w.key("priority")
            .begin_object()
            .field("reason", to_string(t.priority->reason))
            .field("orderedBy", t.priority->ordered_by)
            .end_object();
    }
    if (!t.skip_reason.empty()) {
        w.field("skipReason", t.skip_reason);
    }
    w.end_object();
}

ticket read_ticket_state(object_view o) {
    ticket t;
    t.id = read_ticket(o, "ticketId");
    t.tok = read_token(o, "token");
    t.who = read_customer(o.object("customer"));
    t.services = read_codes(o, "services", max_ticket_services);
    t.price_cents = o.integer("priceCents", 0, INT64_MAX);
    t.duration_min = static_cast<std::int32_t>(o.integer("durationMin", 0, INT32_MAX));
    auto status = parse_ticket_status(o.string("status", 16));
    if (!status) {
        fail(errc::invalid_value, o.path_of("status"), "not a ticket status");
    }
    t.status = *status;
    t.place = static_cast<std::uint64_t>(o.integer("place", 0, INT64_MAX));
    t.joined_at = o.time("joinedAt");
    t.started_at = o.opt_time("startedAt");
    if (auto id = o.opt_id("staffId")) {
        t.staff = staff_id{std::string{*id}};
    }
    if (auto p = o.opt_object("priority")) {
        auto reason = parse_priority_reason(p->string("reason", 64));
        if (!reason) {
            fail(errc::invalid_value, p->path_of("reason"), "not a priority reason");
        }
        t.priority = priority_info{*reason, std::string{p->id("orderedBy")}};
        p->finish();
    }
    t.skip_reason = std::string{o.opt_string("skipReason", limits::text).value_or("")};
    o.finish();
    return t;
}

} // namespace

salon_state read_state(object_view o) {
    salon_state s;
    s.id = salon_id{std::string{o.id("salonId")}};
    s.registered = o.boolean("registered");
    read_salon_profile(o, s);
    std::size_t i = 0;
    for (auto item : o.array("tickets", token::pool_size)) {
        s.tickets.push_back(read_ticket_state(as_object(item, fmt::format("{}[{}]", o.path_of("tickets"), i++))));
    }
    s.seq = seq_t{static_cast<std::uint64_t>(o.integer("seq", 0, INT64_MAX))};
    s.next_ticket = static_cast<std::uint64_t>(o.integer("nextTicket", 1, INT64_MAX));
    s.next_place = static_cast<std::uint64_t>(o.integer("nextPlace", 1, INT64_MAX));
    s.priority_day = o.day("priorityDay");
    s.priority_used = static_cast<std::int32_t>(o.integer("priorityUsed", 0, 1000));
    o.finish();
    s.rebuild_derived();
    return s;
}

namespace {

salon_state read_state(std::string_view json) {
    return read_state(as_object(parse_document(json, limits::record), ""));
}

} // namespace

std::string encode_state(salon_state const& s) {
    json_writer w;
    w.begin_object().field("salonId", s.id.value()).field("registered", s.registered);
    write_salon_profile(w, s);
    w.key("tickets").begin_array();
    for (auto const& t : s.tickets) {
        write_ticket(w, t);
    }
    w.end_array();
    w.field("seq", s.seq.value())
        .field("nextTicket", s.next_ticket)
        .field("nextPlace", s.next_place)
        .key("priorityDay")
        .day(s.priority_day);
    w.field("priorityUsed", s.priority_used).end_object();
    return w.str();
}

std::expected<salon_state, error> decode_state(std::string_view json) {
    try {
        return read_state(json);
    } catch (decode_failure& f) {
        return std::unexpected(std::move(f.err));
    }
}

} // namespace salonq::engine::codec
