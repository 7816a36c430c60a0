#include "notify/deliver/payload.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"

#include <array>

namespace salonq::notify {
namespace {

namespace codec = engine::codec;

constexpr std::array<notification_kind, 4> kinds{notification_kind::almost_your_turn, notification_kind::called,
                                                 notification_kind::skipped, notification_kind::restored};

notification_kind kind_named(std::string_view name, std::string const& path) {
    for (auto const k : kinds) {
        if (to_string(k) == name) {
            return k;
        }
    }
    codec::fail(codec::errc::invalid_value, path, "not a notification type");
}

notification read(codec::object_view o) {
    notification n;
    n.id = std::string{o.string("id", 300)};
    n.kind = kind_named(o.string("type", 32), o.path_of("type"));
    n.salon = engine::salon_id{std::string{o.id("salonId")}};
    n.seq = engine::seq_t{static_cast<std::uint64_t>(o.integer("seq", 1, INT64_MAX))};
    n.at = o.time("at");
    auto ticket = o.object("ticket");
    n.ticket = engine::ticket_id{static_cast<std::uint64_t>(ticket.integer("ticketId", 1, INT64_MAX))};
    n.token = std::string{ticket.string("token", 8)};
    n.position = static_cast<std::uint32_t>(ticket.integer("position", 0, UINT32_MAX));
    ticket.finish();
    if (auto c = o.opt_object("customer")) {
        n.customer.name = std::string{c->opt_string("name", codec::limits::name).value_or("")};
        n.customer.phone = std::string{c->opt_string("phone", codec::limits::phone).value_or("")};
        if (auto id = c->opt_id("customerId")) {
            n.customer.id = engine::customer_id{std::string{*id}};
        }
        c->finish();
    }
    if (auto staff = o.opt_id("staffId")) {
        n.staff = engine::staff_id{std::string{*staff}};
    }
    o.finish();
    return n;
}

} // namespace

std::string encode_notification(notification const& n) {
    codec::json_writer w;
    w.begin_object().field("id", n.id).field("type", to_string(n.kind)).field("salonId", n.salon.value());
    w.field("seq", n.seq.value()).key("at").time(n.at);
    w.key("ticket").begin_object().field("ticketId", n.ticket.value()).field("token", n.token);
    w.field("position", n.position).end_object();
    if (!n.customer.name.empty() || !n.customer.phone.empty() || n.customer.id) {
        w.key("customer").begin_object();
        if (!n.customer.name.empty()) {
            w.field("name", n.customer.name);
        }
        if (!n.customer.phone.empty()) {
            w.field("phone", n.customer.phone);
        }
        if (n.customer.id) {
            w.field("customerId", n.customer.id->value());
        }
        w.end_object();
    }
    if (n.staff) {
        w.field("staffId", n.staff->value());
    }
    w.end_object();
    return w.str();
}

std::expected<notification, std::string> decode_notification(std::string_view json) {
    try {
        return read(codec::as_object(codec::parse_document(json, codec::limits::message), ""));
    } catch (codec::decode_failure& f) {
        return std::unexpected(f.err.path + ": " + f.err.message);
    }
}

} // namespace salonq::notify
