#include "engine/codec/event_codec.hpp"

#include "engine/codec/shared.hpp"

#include <fmt/format.h>

namespace salonq::engine::codec {
namespace {

constexpr std::int64_t max_ms = std::int64_t{1} << 50;

void write_payload(json_writer& w, event_body const& body) {
    w.begin_object();
    std::visit(
        [&](auto const& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, evt::salon_registered>) {
                w.field("name", b.name).field("timezone", b.timezone).key("config");
                write_config(w, b.config);
            } else if constexpr (std::is_same_v<T, evt::salon_configured>) {
                w.key("config");
                write_config(w, b.config);
                w.key("services");
                write_services(w, b.services);
            } else if constexpr (std::is_same_v<T, evt::staff_added>) {
                w.field("staffId", b.staff.value()).field("name", b.name).field("role", to_string(b.staff_role));
            } else if constexpr (std::is_same_v<T, evt::staff_clocked_in> ||
                                 std::is_same_v<T, evt::staff_clocked_out>) {
                w.field("staffId", b.staff.value());
            } else if constexpr (std::is_same_v<T, evt::ticket_issued>) {
                w.field("ticketId", b.ticket.value()).field("token", b.tok.str()).key("customer");
                write_customer(w, b.who);
                w.key("services");
                write_codes(w, b.services);
                w.field("priceCents", b.price_cents)
                    .field("durationMin", b.duration_min)
                    .field("place", b.place)
                    .field("position", b.position);
            } else if constexpr (std::is_same_v<T, evt::service_started>) {
                w.field("ticketId", b.ticket.value())
                    .field("staffId", b.staff.value())
                    .field("position", b.position)
                    .field("waitedMs", b.waited_ms);
            } else if constexpr (std::is_same_v<T, evt::service_completed>) {
                w.field("ticketId", b.ticket.value())
                    .field("staffId", b.staff.value())
                    .field("durationMs", b.duration_ms)
                    .field("amountCents", b.amount_cents);
                if (b.customer) {
                    w.field("customerId", b.customer->value());
                }
            } else if constexpr (std::is_same_v<T, evt::ticket_skipped>) {
                w.field("ticketId", b.ticket.value()).field("reason", b.reason).field("position", b.position);
            } else if constexpr (std::is_same_v<T, evt::skip_undone>) {
                w.field("ticketId", b.ticket.value()).field("position", b.position);
            } else if constexpr (std::is_same_v<T, evt::priority_started>) {
                w.field("ticketId", b.ticket.value())
                    .field("staffId", b.staff.value())
                    .field("reason", to_string(b.reason))
                    .field("orderedBy", b.ordered_by)
                    .field("orderedByRole", to_string(b.ordered_by_role))
                    .field("positionBefore", b.position_before)
                    .key("day")
                    .day(b.day);
                w.field("usedToday", b.used_today).field("waitedMs", b.waited_ms);
            } else if constexpr (std::is_same_v<T, evt::ticket_cancelled>) {
                w.field("ticketId", b.ticket.value()).field("reason", b.reason).field("was", to_string(b.was));
            } else if constexpr (std::is_same_v<T, evt::day_closed>) {
                w.key("day").day(b.day);
                w.key("noShows").begin_array();
                for (auto const& id : b.no_shows) {
                    w.number(id.value());
                }
                w.end_array();
            }
        },
        body);
    w.end_object();
}

staff_id read_staff(object_view& p) { return staff_id{std::string{p.id("staffId")}}; }

std::uint32_t read_position(object_view& p, std::string_view key) {
    return static_cast<std::uint32_t>(p.integer(key, 0, 1'000'000));
}

event_body read_payload(std::string_view type, object_view p) {
    event_body body;
    if (type == "salon_registered") {
        evt::salon_registered b;
        b.name = std::string{p.string("name", limits::name)};
        b.timezone = std::string{p.string("timezone", 64)};
        b.config = read_config(p.object("config"));
        body = std::move(b);
    } else if (type == "salon_configured") {
        evt::salon_configured b;
        b.config = read_config(p.object("config"));
        b.services = read_services(p, "services");
        body = std::move(b);
    } else if (type == "staff_added") {
        evt::staff_added b;
        b.staff = read_staff(p);
        b.name = std::string{p.string("name", limits::name)};
        b.staff_role = read_role(p, "role");
        body = std::move(b);
    } else if (type == "staff_clocked_in") {
        body = evt::staff_clocked_in{read_staff(p)};
    } else if (type == "staff_clocked_out") {
        body = evt::staff_clocked_out{read_staff(p)};
    } else if (type == "ticket_issued") {
        evt::ticket_issued b;
        b.ticket = read_ticket(p, "ticketId");
        b.tok = read_token(p, "token");
        b.who = read_customer(p.object("customer"));
        b.services = read_codes(p, "services", max_ticket_services);
        b.price_cents = p.integer("priceCents", 0, max_cents * 100);
        b.duration_min = static_cast<std::int32_t>(p.integer("durationMin", 0, 1'000'000));
        b.place = static_cast<std::uint64_t>(p.integer("place", 1, max_ticket));
        b.position = read_position(p, "position");
        body = std::move(b);
    } else if (type == "service_started") {
        evt::service_started b;
        b.ticket = read_ticket(p, "ticketId");
        b.staff = read_staff(p);
        b.position = read_position(p, "position");
        b.waited_ms = p.integer("waitedMs", -max_ms, max_ms);
        body = std::move(b);
    } else if (type == "service_completed") {
        evt::service_completed b;
        b.ticket = read_ticket(p, "ticketId");
        b.staff = read_staff(p);
        b.duration_ms = p.integer("durationMs", 0, max_ms);
        b.amount_cents = p.integer("amountCents", 0, max_cents * 100);
        if (auto id = p.opt_id("customerId")) {
            b.customer = customer_id{std::string{*id}};
        }
        body = std::move(b);
    } else if (type == "ticket_skipped") {
        evt::ticket_skipped b;
        b.ticket = read_ticket(p, "ticketId");
        b.reason = std::string{p.string("reason", limits::text)};
        b.position = read_position(p, "position");
        body = std::move(b);
    } else if (type == "skip_undone") {
        evt::skip_undone b;
        b.ticket = read_ticket(p, "ticketId");
        b.position = read_position(p, "position");
        body = b;
    } else if (type == "priority_started") {
        evt::priority_started b;
        b.ticket = read_ticket(p, "ticketId");
        b.staff = read_staff(p);
        auto reason = parse_priority_reason(p.string("reason", 64));
        if (!reason) {
            fail(errc::invalid_value, p.path_of("reason"), "not a priority reason");
        }
        b.reason = *reason;
        b.ordered_by = std::string{p.id("orderedBy")};
        b.ordered_by_role = read_role(p, "orderedByRole");
        b.position_before = read_position(p, "positionBefore");
        b.day = p.day("day");
        b.used_today = static_cast<std::int32_t>(p.integer("usedToday", 1, 1000));
        b.waited_ms = p.integer("waitedMs", -max_ms, max_ms);
        body = std::move(b);
    } else if (type == "ticket_cancelled") {
        evt::ticket_cancelled b;
        b.ticket = read_ticket(p, "ticketId");
        b.reason = std::string{p.string("reason", limits::text)};
        auto was = parse_ticket_status(p.string("was", 16));
        if (!was) {
            fail(errc::invalid_value, p.path_of("was"), "not a ticket status");
        }
        b.was = *was;
        body = std::move(b);
    } else if (type == "day_closed") {
        evt::day_closed b;
        b.day = p.day("day");
        std::size_t i = 0;
        for (auto item : p.array("noShows", token::pool_size)) {
            b.no_shows.emplace_back(static_cast<std::uint64_t>(
                as_integer(item, fmt::format("{}[{}]", p.path_of("noShows"), i++), 1, max_ticket)));
        }
        body = std::move(b);
    } else {
        fail(errc::unknown_type, "type", fmt::format("'{}' is not an event type", type));
    }
    p.finish();
    return body;
}

log_entry read_entry(std::string_view json) {
    auto root = as_object(parse_document(json, limits::record), "");
    auto const type = root.string("type", 32);
    read_version(root);
    auto const salon = salon_id{std::string{root.id("salonId")}};
    auto const cause = command_id{std::string{root.id("commandId")}};
    auto const by = read_actor(root.object("actor"));
    auto const at = root.time("at");
    if (type == "command_rejected") {
        rejected_command r{salon, seq_t{static_cast<std::uint64_t>(root.integer("atSeq", 0, INT64_MAX))},
                           cause, by,
                           at,    std::string{root.string("commandType", 32)},
                           {}};
        auto p = root.object("payload");
        auto code = parse_rejection_code(p.string("code", 64));
        if (!code) {
            fail(errc::invalid_value, p.path_of("code"), "not a rejection code");
        }
        r.why = rejection{*code, std::string{p.string("message", limits::text)}};
        p.finish();
        root.finish();
        return r;
    }
    event e{salon, seq_t{static_cast<std::uint64_t>(root.integer("seq", 1, INT64_MAX))}, cause, by, at, {}};
    e.body = read_payload(type, root.object("payload"));
    root.finish();
    return e;
}

} // namespace

void write_event(json_writer& w, event const& e) {
    w.begin_object().field("type", type_name(e.body)).field("v", schema_version);
    w.field("salonId", e.salon.value()).field("seq", e.seq.value()).field("commandId", e.cause.value());
    w.key("actor");
    write_actor(w, e.by);
    w.key("at").time(e.at);
    w.key("payload");
    write_payload(w, e.body);
    w.end_object();
}

void write_rejected(json_writer& w, rejected_command const& r) {
    w.begin_object().field("type", "command_rejected").field("v", schema_version);
    w.field("salonId", r.salon.value()).field("atSeq", r.at_seq.value()).field("commandId", r.cause.value());
    w.key("actor");
    write_actor(w, r.by);
    w.key("at").time(r.at);
    w.field("commandType", r.command_type);
    w.key("payload").begin_object().field("code", to_string(r.why.code)).field("message", r.why.message).end_object();
    w.end_object();
}

std::string encode_event(event const& e) {
    json_writer w;
    write_event(w, e);
    return w.str();
}

std::string encode_rejected(rejected_command const& r) {
    json_writer w;
    write_rejected(w, r);
    return w.str();
}

std::string encode_entry(log_entry const& entry) {
    return std::visit(
        [](auto const& e) -> std::string {
            if constexpr (std::is_same_v<std::decay_t<decltype(e)>, event>) {
                return encode_event(e);
            } else {
                return encode_rejected(e);
            }
        },
        entry);
}

std::expected<log_entry, error> decode_entry(std::string_view json) {
    try {
        return read_entry(json);
    } catch (decode_failure& f) {
        return std::unexpected(std::move(f.err));
    }
}

} // namespace salonq::engine::codec
