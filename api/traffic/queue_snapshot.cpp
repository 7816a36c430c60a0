#include "api/traffic/queue_snapshot.hpp"

#include <simdjson.h>

#include <algorithm>

namespace salonq::api::traffic {
namespace {

using simdjson::dom::element;

std::string text_of(element e, char const* key) {
    std::string_view v;
    return e[key].get(v) == simdjson::SUCCESS ? std::string{v} : std::string{};
}

std::int64_t int_of(element e, char const* key) {
    std::int64_t v = 0;
    return e[key].get(v) == simdjson::SUCCESS ? v : 0;
}

std::vector<snapshot_ticket> tickets_of(element view, char const* key) {
    std::vector<snapshot_ticket> out;
    simdjson::dom::array list;
    if (view[key].get(list) != simdjson::SUCCESS) {
        return out;
    }
    for (auto t : list) {
        snapshot_ticket ticket;
        ticket.id = static_cast<std::uint64_t>(int_of(t, "ticketId"));
        ticket.duration_min = static_cast<std::int32_t>(int_of(t, "durationMin"));
        ticket.staff = text_of(t, "staffId");
        simdjson::dom::array services;
        if (t["services"].get(services) == simdjson::SUCCESS) {
            for (auto s : services) {
                std::string_view code;
                if (s.get(code) == simdjson::SUCCESS) {
                    ticket.services.emplace_back(code);
                }
            }
        }
        out.push_back(std::move(ticket));
    }
    return out;
}

} // namespace

snapshot_staff const* queue_snapshot::find_staff(std::string_view id) const {
    auto it = std::ranges::find(staff, id, &snapshot_staff::id);
    return it == staff.end() ? nullptr : &*it;
}

std::int64_t queue_snapshot::price_of(snapshot_ticket const& t) const {
    std::int64_t cents = 0;
    for (auto const& code : t.services) {
        if (auto it = std::ranges::find(services, code, &engine::service_def::code); it != services.end()) {
            cents += it->price_cents;
        }
    }
    return cents;
}

std::expected<queue_snapshot, std::string> parse_queue(std::string_view json) {
    simdjson::dom::parser parser;
    element view;
    if (parser.parse(json.data(), json.size()).get(view) != simdjson::SUCCESS || !view.is_object()) {
        return std::unexpected(std::string{"the queue view is not JSON"});
    }
    simdjson::dom::array staff;
    if (view["staff"].get(staff) != simdjson::SUCCESS) {
        return std::unexpected(std::string{"the queue view has no staff"});
    }
    queue_snapshot q;
    for (auto m : staff) {
        snapshot_staff member{text_of(m, "staffId"), text_of(m, "role"), false, std::nullopt};
        bool on = false;
        member.on_duty = m["onDuty"].get(on) == simdjson::SUCCESS && on;
        std::uint64_t serving = 0;
        if (m["serving"].get(serving) == simdjson::SUCCESS) {
            member.serving = serving;
        }
        q.staff.push_back(std::move(member));
    }
    simdjson::dom::array services;
    if (view["services"].get(services) == simdjson::SUCCESS) {
        for (auto s : services) {
            q.services.push_back({text_of(s, "code"), text_of(s, "name"), int_of(s, "priceCents"),
                                  static_cast<std::int32_t>(int_of(s, "durationMin"))});
        }
    }
    q.waiting = tickets_of(view, "waiting");
    q.serving = tickets_of(view, "serving");
    q.skipped = tickets_of(view, "skipped");
    return q;
}

command_answer parse_answer(std::string_view json) {
    command_answer a;
    simdjson::dom::parser parser;
    element body;
    if (parser.parse(json.data(), json.size()).get(body) != simdjson::SUCCESS) {
        return a;
    }
    element ticket;
    if (body["ticket"].get(ticket) == simdjson::SUCCESS) {
        std::uint64_t id = 0;
        if (ticket["ticketId"].get(id) == simdjson::SUCCESS) {
            a.ticket = id;
        }
        a.link = text_of(ticket, "link");
    }
    element error;
    if (body["error"].get(error) == simdjson::SUCCESS) {
        a.error_code = text_of(error, "code");
    }
    return a;
}

} // namespace salonq::api::traffic
