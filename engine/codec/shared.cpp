#include "engine/codec/shared.hpp"

#include <fmt/format.h>

namespace salonq::engine::codec {

void write_customer(json_writer& w, customer const& c) {
    w.begin_object();
    if (!c.name.empty()) {
        w.field("name", c.name);
    }
    if (!c.phone.empty()) {
        w.field("phone", c.phone);
    }
    if (c.id) {
        w.field("customerId", c.id->value());
    }
    w.end_object();
}

void write_services(json_writer& w, std::vector<service_def> const& services) {
    w.begin_array();
    for (auto const& s : services) {
        w.begin_object()
            .field("code", s.code)
            .field("name", s.name)
            .field("priceCents", s.price_cents)
            .field("durationMin", s.duration_min)
            .end_object();
    }
    w.end_array();
}

void write_codes(json_writer& w, std::vector<std::string> const& codes) {
    w.begin_array();
    for (auto const& c : codes) {
        w.string(c);
    }
    w.end_array();
}

void write_actor(json_writer& w, actor const& a) {
    w.begin_object().field("kind", to_string(a.kind)).field("id", a.id).end_object();
}

void write_config(json_writer& w, salon_config const& c) {
    w.begin_object().field("priorityDailyLimit", c.priority_daily_limit).field("maxWaiting", c.max_waiting);
    // Written only when set: configs from before loyalty existed, and every default one, keep their bytes.
    if (c.loyalty_cents_per_point != salon_config::default_loyalty_cents_per_point) {
        w.field("loyaltyCentsPerPoint", c.loyalty_cents_per_point);
    }
    w.end_object();
}

void write_staff(json_writer& w, std::vector<staff_member> const& staff) {
    w.begin_array();
    for (auto const& m : staff) {
        w.begin_object()
            .field("staffId", m.id.value())
            .field("name", m.name)
            .field("role", to_string(m.staff_role))
            .field("onDuty", m.on_duty);
        if (m.serving) {
            w.field("serving", m.serving->value());
        }
        w.end_object();
    }
    w.end_array();
}

customer read_customer(object_view o) {
    customer c;
    c.name = std::string{o.opt_string("name", limits::name).value_or("")};
    c.phone = std::string{o.opt_string("phone", limits::phone).value_or("")};
    if (auto id = o.opt_id("customerId")) {
        c.id = customer_id{std::string{*id}};
    }
    o.finish();
    return c;
}

std::vector<service_def> read_services(object_view& parent, std::string_view key) {
    std::vector<service_def> out;
    auto const path = parent.path_of(key);
    std::size_t i = 0;
    for (auto item : parent.array(key, max_services)) {
        auto o = as_object(item, fmt::format("{}[{}]", path, i++));
        service_def s;
        s.code = std::string{o.id("code")};
        s.name = std::string{o.string("name", limits::name)};
        s.price_cents = o.integer("priceCents", 0, max_cents);
        s.duration_min = static_cast<std::int32_t>(o.integer("durationMin", 0, std::int64_t{24} * 60));
        o.finish();
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<std::string> read_codes(object_view& parent, std::string_view key, std::size_t max_items) {
    std::vector<std::string> out;
    auto const path = parent.path_of(key);
    std::size_t i = 0;
    for (auto item : parent.array(key, max_items)) {
        out.emplace_back(as_id(item, fmt::format("{}[{}]", path, i++)));
    }
    return out;
}

actor read_actor(object_view o) {
    actor a;
    auto const kind = o.string("kind", 16);
    auto parsed = parse_actor_kind(kind);
    if (!parsed) {
        fail(errc::invalid_value, o.path_of("kind"), "expected staff, terminal or system");
    }
    a.kind = *parsed;
    a.id = std::string{o.id("id")};
    o.finish();
    return a;
}

salon_config read_config(object_view o) {
    salon_config c;
    c.priority_daily_limit = static_cast<std::int32_t>(o.integer("priorityDailyLimit", 0, 1000));
    c.max_waiting = static_cast<std::int32_t>(o.integer("maxWaiting", 0, 1'000'000));
    c.loyalty_cents_per_point =
        static_cast<std::int32_t>(o.opt_integer("loyaltyCentsPerPoint", 1, salon_config::max_loyalty_cents_per_point)
                                      .value_or(salon_config::default_loyalty_cents_per_point));
    o.finish();
    return c;
}

std::vector<staff_member> read_staff(object_view& parent, std::string_view key) {
    std::vector<staff_member> out;
    auto const path = parent.path_of(key);
    std::size_t i = 0;
    for (auto item : parent.array(key, 100'000)) {
        auto m = as_object(item, fmt::format("{}[{}]", path, i++));
        staff_member member;
        member.id = staff_id{std::string{m.id("staffId")}};
        member.name = std::string{m.string("name", limits::name)};
        member.staff_role = read_role(m, "role");
        member.on_duty = m.boolean("onDuty");
        if (m.has("serving")) {
            member.serving = read_ticket(m, "serving");
        }
        m.finish();
        out.push_back(std::move(member));
    }
    return out;
}

role read_role(object_view& o, std::string_view key) {
    auto parsed = parse_role(o.string(key, 16));
    if (!parsed) {
        fail(errc::invalid_value, o.path_of(key), "expected owner, manager or staff");
    }
    return *parsed;
}

ticket_id read_ticket(object_view& o, std::string_view key) {
    return ticket_id{static_cast<std::uint64_t>(o.integer(key, 1, max_ticket))};
}

token read_token(object_view& o, std::string_view key) {
    auto parsed = parse_token(o.string(key, 3));
    if (!parsed) {
        fail(errc::invalid_value, o.path_of(key), "expected a token A00..Z99");
    }
    return *parsed;
}

void read_version(object_view& o) {
    if (auto v = o.opt_integer("v", 0, 1'000'000); v && *v != schema_version) {
        fail(errc::unsupported_version, o.path_of("v"), fmt::format("schema version {} is not supported", *v));
    }
}

} // namespace salonq::engine::codec
