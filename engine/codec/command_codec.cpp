#include "engine/codec/command_codec.hpp"

#include "engine/codec/shared.hpp"

#include <fmt/format.h>

namespace salonq::engine::codec {
namespace {

command_body read_body(std::string_view type, object_view p) {
    command_body body;
    if (type == "register_salon") {
        cmd::register_salon b;
        b.name = std::string{p.string("name", limits::name)};
        b.timezone = std::string{p.string("timezone", 64)};
        body = std::move(b);
    } else if (type == "configure_salon") {
        cmd::configure_salon b;
        if (auto v = p.opt_integer("priorityDailyLimit", -1'000'000, 1'000'000)) {
            b.priority_daily_limit = static_cast<std::int32_t>(*v);
        }
        if (auto v = p.opt_integer("maxWaiting", -1'000'000, 1'000'000)) {
            b.max_waiting = static_cast<std::int32_t>(*v);
        }
        if (p.has("services")) {
            b.services = read_services(p, "services");
        }
        if (auto v = p.opt_integer("loyaltyCentsPerPoint", -1'000'000'000, 1'000'000'000)) {
            b.loyalty_cents_per_point = static_cast<std::int32_t>(*v);
        }
        body = std::move(b);
    } else if (type == "add_staff") {
        cmd::add_staff b;
        b.staff = staff_id{std::string{p.id("staffId")}};
        b.name = std::string{p.string("name", limits::name)};
        b.staff_role = read_role(p, "role");
        body = std::move(b);
    } else if (type == "clock_in") {
        body = cmd::clock_in{staff_id{std::string{p.id("staffId")}}};
    } else if (type == "clock_out") {
        body = cmd::clock_out{staff_id{std::string{p.id("staffId")}}};
    } else if (type == "walk_in") {
        cmd::walk_in b;
        b.who = read_customer(p.object("customer"));
        b.services = read_codes(p, "services", max_ticket_services);
        body = std::move(b);
    } else if (type == "start") {
        cmd::start_service b;
        b.staff = staff_id{std::string{p.id("staffId")}};
        if (p.has("ticketId")) {
            b.ticket = read_ticket(p, "ticketId");
        }
        body = std::move(b);
    } else if (type == "complete") {
        cmd::complete_service b;
        b.ticket = read_ticket(p, "ticketId");
        b.amount_cents = p.opt_integer("amountCents", 0, max_cents);
        body = b;
    } else if (type == "skip") {
        body = cmd::skip_ticket{read_ticket(p, "ticketId"), std::string{p.string("reason", limits::text)}};
    } else if (type == "undo_skip") {
        body = cmd::undo_skip{read_ticket(p, "ticketId")};
    } else if (type == "start_priority") {
        cmd::start_priority b;
        b.ticket = read_ticket(p, "ticketId");
        b.staff = staff_id{std::string{p.id("staffId")}};
        b.reason = std::string{p.string("reason", 64)};
        body = std::move(b);
    } else if (type == "cancel") {
        cmd::cancel_ticket b;
        b.ticket = read_ticket(p, "ticketId");
        b.reason = std::string{p.opt_string("reason", limits::text).value_or("")};
        body = std::move(b);
    } else if (type == "close_day") {
        body = cmd::close_day{};
    } else {
        fail(errc::unknown_type, "type", fmt::format("'{}' is not a command type", type));
    }
    p.finish();
    return body;
}

void write_body(json_writer& w, command_body const& body) {
    w.begin_object();
    std::visit(
        [&](auto const& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, cmd::register_salon>) {
                w.field("name", b.name).field("timezone", b.timezone);
            } else if constexpr (std::is_same_v<T, cmd::configure_salon>) {
                if (b.priority_daily_limit) {
                    w.field("priorityDailyLimit", *b.priority_daily_limit);
                }
                if (b.max_waiting) {
                    w.field("maxWaiting", *b.max_waiting);
                }
                if (b.services) {
                    w.key("services");
                    write_services(w, *b.services);
                }
                if (b.loyalty_cents_per_point) {
                    w.field("loyaltyCentsPerPoint", *b.loyalty_cents_per_point);
                }
            } else if constexpr (std::is_same_v<T, cmd::add_staff>) {
                w.field("staffId", b.staff.value()).field("name", b.name).field("role", to_string(b.staff_role));
            } else if constexpr (std::is_same_v<T, cmd::clock_in> || std::is_same_v<T, cmd::clock_out>) {
                w.field("staffId", b.staff.value());
            } else if constexpr (std::is_same_v<T, cmd::walk_in>) {
                w.key("customer");
                write_customer(w, b.who);
                w.key("services");
                write_codes(w, b.services);
            } else if constexpr (std::is_same_v<T, cmd::start_service>) {
                w.field("staffId", b.staff.value());
                if (b.ticket) {
                    w.field("ticketId", b.ticket->value());
                }
            } else if constexpr (std::is_same_v<T, cmd::complete_service>) {
                w.field("ticketId", b.ticket.value());
                if (b.amount_cents) {
                    w.field("amountCents", *b.amount_cents);
                }
            } else if constexpr (std::is_same_v<T, cmd::skip_ticket>) {
                w.field("ticketId", b.ticket.value()).field("reason", b.reason);
            } else if constexpr (std::is_same_v<T, cmd::undo_skip>) {
                w.field("ticketId", b.ticket.value());
            } else if constexpr (std::is_same_v<T, cmd::start_priority>) {
                w.field("ticketId", b.ticket.value()).field("staffId", b.staff.value()).field("reason", b.reason);
            } else if constexpr (std::is_same_v<T, cmd::cancel_ticket>) {
                w.field("ticketId", b.ticket.value());
                if (!b.reason.empty()) {
                    w.field("reason", b.reason);
                }
            }
        },
        body);
    w.end_object();
}

command read_command(std::string_view json, command_source source) {
    // A client's command is held to the client limit; its log form, written by the engine, reads back whole.
    auto const max_size = source == command_source::client ? limits::message : limits::record;
    auto root = as_object(parse_document(json, max_size), "");
    command c;
    auto const type = root.string("type", 32);
    read_version(root);
    c.id = command_id{std::string{root.id("commandId")}};
    c.salon = salon_id{std::string{root.id("salonId")}};
    if (auto seq = root.opt_integer("expectedSeq", 0, std::numeric_limits<std::int64_t>::max())) {
        c.expected_seq = seq_t{static_cast<std::uint64_t>(*seq)};
    }
    if (auto a = root.opt_object("actor")) {
        c.by = read_actor(std::move(*a));
    } else {
        c.by = actor{"system", actor_kind::system};
    }
    if (source == command_source::log) {
        c.received_at = root.time("receivedAt");
    }
    c.body = read_body(type, root.object("payload"));
    root.finish();
    return c;
}

} // namespace

std::expected<command, error> decode_command(std::string_view json, command_source source) {
    try {
        return read_command(json, source);
    } catch (decode_failure& f) {
        return std::unexpected(std::move(f.err));
    }
}

std::expected<command_body, error> decode_payload(std::string_view type, std::string_view json) {
    try {
        return read_body(type, as_object(parse_document(json, limits::message), ""));
    } catch (decode_failure& f) {
        return std::unexpected(std::move(f.err));
    }
}

namespace {

std::string encode(command const& c, command_source form) {
    json_writer w;
    w.begin_object().field("type", type_name(c.body)).field("v", schema_version);
    w.field("commandId", c.id.value()).field("salonId", c.salon.value());
    if (c.expected_seq) {
        w.field("expectedSeq", c.expected_seq->value());
    }
    w.key("actor");
    write_actor(w, c.by);
    if (form == command_source::log) {
        w.key("receivedAt").time(c.received_at);
    }
    w.key("payload");
    write_body(w, c.body);
    w.end_object();
    return w.str();
}

} // namespace

std::string encode_command(command const& c) { return encode(c, command_source::log); }

std::string encode_client_command(command const& c) { return encode(c, command_source::client); }

} // namespace salonq::engine::codec
