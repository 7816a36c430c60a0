#pragma once

// Shared helpers for the codec tests: building instants, comparing commands field by field, the golden table of
// malformed commands (test/data/bad_commands.jsonl), the table of good client commands, a sample of every log
// entry, and a salon driven through decide and evolve for the state round-trip.

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/shared.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "test/support/commands.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace salonq::test::codec_support {

using namespace salonq::engine;
using namespace salonq::engine::codec;
using namespace std::chrono_literals;

inline instant at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0, int ms = 0) {
    return instant{std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}}} +
           std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss} + std::chrono::milliseconds{ms};
}

// The members of each command body, so two commands can be compared field by field.
inline auto members(cmd::register_salon const& b) { return std::tie(b.name, b.timezone); }
inline auto members(cmd::configure_salon const& b) {
    return std::tie(b.priority_daily_limit, b.max_waiting, b.services);
}
inline auto members(cmd::add_staff const& b) { return std::tie(b.staff, b.name, b.staff_role); }
inline auto members(cmd::clock_in const& b) { return std::tie(b.staff); }
inline auto members(cmd::clock_out const& b) { return std::tie(b.staff); }
inline auto members(cmd::walk_in const& b) { return std::tie(b.who, b.services); }
inline auto members(cmd::start_service const& b) { return std::tie(b.staff, b.ticket); }
inline auto members(cmd::complete_service const& b) { return std::tie(b.ticket, b.amount_cents); }
inline auto members(cmd::skip_ticket const& b) { return std::tie(b.ticket, b.reason); }
inline auto members(cmd::undo_skip const& b) { return std::tie(b.ticket); }
inline auto members(cmd::start_priority const& b) { return std::tie(b.ticket, b.staff, b.reason); }
inline auto members(cmd::cancel_ticket const& b) { return std::tie(b.ticket, b.reason); }
inline auto members(cmd::close_day const&) { return std::tuple<>{}; }

inline bool same_command(command const& a, command const& b) {
    if (std::tie(a.id, a.salon, a.expected_seq, a.by, a.received_at) !=
            std::tie(b.id, b.salon, b.expected_seq, b.by, b.received_at) ||
        a.body.index() != b.body.index()) {
        return false;
    }
    return std::visit([&](auto const& x) { return members(x) == members(std::get<std::decay_t<decltype(x)>>(b.body)); },
                      a.body);
}

inline std::string from_hex(std::string_view hex) {
    REQUIRE(hex.size() % 2 == 0);
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(std::string{hex.substr(i, 2)}, nullptr, 16)));
    }
    return out;
}

struct bad_row {
    std::string name;
    std::string description;
    std::string input;
    std::string code;
    std::string path;
    std::optional<std::string> message; // the exact message, for rows about one
};

inline std::vector<bad_row> load_bad_rows() {
    std::ifstream in{SALONQ_SOURCE_DIR "/test/data/bad_commands.jsonl", std::ios::binary};
    REQUIRE(in.good());
    simdjson::dom::parser parser;
    std::vector<bad_row> rows;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        INFO("bad_commands.jsonl line ", number);
        simdjson::dom::object o;
        REQUIRE(parser.parse(line).get(o) == simdjson::SUCCESS);
        auto text = [&](char const* key) {
            std::string_view s;
            REQUIRE_MESSAGE(o[key].get_string().get(s) == simdjson::SUCCESS, "missing string field ", key);
            return std::string{s};
        };
        bad_row r{text("name"), text("description"), "", text("code"), text("path"), std::nullopt};
        r.input = o["input_hex"].error() == simdjson::SUCCESS ? from_hex(text("input_hex")) : text("input");
        if (o["message"].error() == simdjson::SUCCESS) {
            r.message = text("message");
        }
        CHECK(o.size() == (r.message ? 6 : 5));
        rows.push_back(std::move(r));
    }
    return rows;
}

// A client command: its message and what it must decode to (received_at is the engine's, so it stays unset).
struct good_command {
    std::string json;
    command expected;
};

inline std::vector<good_command> good_commands() {
    auto const manager = actor{"m-1", actor_kind::staff};
    auto const kiosk = actor{"kiosk-1", actor_kind::terminal};
    std::vector<good_command> out{
        {R"({"type":"register_salon","v":1,"commandId":"c-1","salonId":"s-1","actor":{"kind":"system","id":"setup"},
            "payload":{"name":"Zoë's \"Best\" Salon \\ 李雷","timezone":"Europe/Istanbul"}})",
         make_command("c-1", "s-1", cmd::register_salon{"Zoë's \"Best\" Salon \\ 李雷", "Europe/Istanbul"}, instant{},
                      actor{"setup", actor_kind::system})},
        {R"({"type":"configure_salon","commandId":"c-2","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"priorityDailyLimit":3,"maxWaiting":50,"services":[
              {"code":"cut","name":"Haircut","priceCents":2500,"durationMin":30},
              {"code":"color","name":"Colour ✂","priceCents":9000,"durationMin":90}],"loyaltyCentsPerPoint":500}})",
         make_command(
             "c-2", "s-1",
             cmd::configure_salon{
                 3, 50, std::vector<service_def>{{"cut", "Haircut", 2500, 30}, {"color", "Colour ✂", 9000, 90}}, 500},
             instant{}, manager)},
        {R"({"type":"configure_salon","commandId":"c-3","salonId":"s-1","payload":{}})",
         make_command("c-3", "s-1", cmd::configure_salon{}, instant{}, actor{"system", actor_kind::system})},
        {R"({"type":"configure_salon","commandId":"c-4","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"services":[]}})",
         make_command("c-4", "s-1",
                      cmd::configure_salon{std::nullopt, std::nullopt, std::vector<service_def>{}, std::nullopt},
                      instant{}, manager)},
        {R"({"type":"add_staff","commandId":"c-5","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"staffId":"st-1","name":"Ayşe Yılmaz","role":"staff"}})",
         make_command("c-5", "s-1", cmd::add_staff{staff_id{"st-1"}, "Ayşe Yılmaz", role::staff}, instant{}, manager)},
        {R"({"type":"clock_in","commandId":"c-6","salonId":"s-1","actor":{"kind":"staff","id":"st-1"},
            "payload":{"staffId":"st-1"}})",
         make_command("c-6", "s-1", cmd::clock_in{staff_id{"st-1"}}, instant{}, actor{"st-1", actor_kind::staff})},
        {R"({"type":"clock_out","commandId":"c-7","salonId":"s-1","payload":{"staffId":"st-1"}})",
         make_command("c-7", "s-1", cmd::clock_out{staff_id{"st-1"}}, instant{}, actor{"system", actor_kind::system})},
        {R"({"type":"walk_in","v":1,"commandId":"c-8","salonId":"s-1","expectedSeq":12,
            "actor":{"kind":"terminal","id":"kiosk-1"},
            "payload":{"customer":{"name":"Zoë Ağaoğlu","phone":"+90 555 010 0000","customerId":"cust-42"},
                       "services":["cut","color"]}})",
         [&] {
             auto c = make_command(
                 "c-8", "s-1",
                 cmd::walk_in{customer{"Zoë Ağaoğlu", "+90 555 010 0000", customer_id{"cust-42"}}, {"cut", "color"}},
                 instant{}, kiosk);
             c.expected_seq = seq_t{12};
             return c;
         }()},
        {R"({"type":"walk_in","commandId":"c-9","salonId":"s-1","actor":{"kind":"terminal","id":"kiosk-1"},
            "payload":{"customer":{"phone":"555-0100"},"services":["cut"]}})",
         make_command("c-9", "s-1", cmd::walk_in{customer{"", "555-0100", std::nullopt}, {"cut"}}, instant{}, kiosk)},
        {R"({"type":"walk_in","commandId":"c-10","salonId":"s-1","actor":{"kind":"terminal","id":"kiosk-1"},
            "payload":{"customer":{"name":"\u674e\u96f7 \ud83d\udc87"},"services":["cut"]}})",
         make_command("c-10", "s-1", cmd::walk_in{customer{"李雷 💇", "", std::nullopt}, {"cut"}}, instant{}, kiosk)},
        {R"({"type":"start","commandId":"c-11","salonId":"s-1","actor":{"kind":"staff","id":"st-1"},
            "payload":{"staffId":"st-1"}})",
         make_command("c-11", "s-1", cmd::start_service{staff_id{"st-1"}, std::nullopt}, instant{},
                      actor{"st-1", actor_kind::staff})},
        {R"({"type":"start","commandId":"c-12","salonId":"s-1","actor":{"kind":"staff","id":"st-1"},
            "payload":{"staffId":"st-1","ticketId":1000000000000}})",
         make_command("c-12", "s-1", cmd::start_service{staff_id{"st-1"}, ticket_id{1'000'000'000'000}}, instant{},
                      actor{"st-1", actor_kind::staff})},
        {R"({"type":"complete","commandId":"c-13","salonId":"s-1","actor":{"kind":"staff","id":"st-1"},
            "payload":{"ticketId":1}})",
         make_command("c-13", "s-1", cmd::complete_service{ticket_id{1}, std::nullopt}, instant{},
                      actor{"st-1", actor_kind::staff})},
        {R"({"type":"complete","commandId":"c-14","salonId":"s-1","actor":{"kind":"staff","id":"st-1"},
            "payload":{"ticketId":1,"amountCents":0}})",
         make_command("c-14", "s-1", cmd::complete_service{ticket_id{1}, std::int64_t{0}}, instant{},
                      actor{"st-1", actor_kind::staff})},
        {R"({"type":"skip","commandId":"c-15","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"ticketId":2,"reason":"stepped out \"briefly\" \\ back at 10"}})",
         make_command("c-15", "s-1", cmd::skip_ticket{ticket_id{2}, "stepped out \"briefly\" \\ back at 10"}, instant{},
                      manager)},
        {R"({"type":"undo_skip","commandId":"c-16","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"ticketId":2}})",
         make_command("c-16", "s-1", cmd::undo_skip{ticket_id{2}}, instant{}, manager)},
        {R"({"type":"start_priority","commandId":"c-17","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"ticketId":3,"staffId":"st-1","reason":"not_a_listed_reason"}})",
         make_command("c-17", "s-1", cmd::start_priority{ticket_id{3}, staff_id{"st-1"}, "not_a_listed_reason"},
                      instant{}, manager)},
        {R"({"type":"cancel","commandId":"c-18","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"ticketId":4,"reason":"left"}})",
         make_command("c-18", "s-1", cmd::cancel_ticket{ticket_id{4}, "left"}, instant{}, manager)},
        {R"({"type":"cancel","commandId":"c-19","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"ticketId":4}})",
         make_command("c-19", "s-1", cmd::cancel_ticket{ticket_id{4}, ""}, instant{}, manager)},
        {"\n{ \"type\" : \"close_day\" ,\r\n \"commandId\" : \"c-20\", \"salonId\" : \"s-1\", \"expectedSeq\" : 0,\t"
         "\"payload\" : { } }\n",
         [] {
             auto c = make_command("c-20", "s-1", cmd::close_day{}, instant{}, actor{"system", actor_kind::system});
             c.expected_seq = seq_t{0};
             return c;
         }()},
    };
    // Values at their limits are accepted.
    auto const long_id = std::string(limits::id, 'i');
    std::string name(limits::name, 'n');
    std::vector<std::string> codes(max_ticket_services, "cut");
    std::string codes_json = "\"cut\"";
    for (std::size_t i = 1; i < codes.size(); ++i) {
        codes_json += ",\"cut\"";
    }
    out.push_back({fmt::format(R"({{"type":"walk_in","commandId":"{0}","salonId":"{0}","actor":{{"kind":"terminal",)"
                               R"("id":"{0}"}},"payload":{{"customer":{{"name":"{1}"}},"services":[{2}]}}}})",
                               long_id, name, codes_json),
                   make_command(long_id, long_id, cmd::walk_in{customer{name, "", std::nullopt}, codes}, instant{},
                                actor{long_id, actor_kind::terminal})});
    return out;
}

// Every event type and a rejected command, each at least once.
inline std::vector<log_entry> sample_entries() {
    auto const by = actor{"m-1", actor_kind::staff};
    auto const t = at(2026, 11, 21, 9, 30, 0, 123);
    std::uint64_t seq = 0;
    auto ev = [&](event_body body) {
        ++seq;
        return log_entry{event{salon_id{"s-1"}, seq_t{seq}, command_id{fmt::format("c-{}", seq)}, by,
                               t + std::chrono::minutes{seq}, std::move(body)}};
    };
    auto const services = std::vector<service_def>{{"cut", "Haircut \"short\"", 2500, 30}, {"kids", "Kids", 0, 1}};
    return {
        ev(evt::salon_registered{"Zoë's \\ Salon", "Europe/Istanbul", salon_config{}}),
        ev(evt::salon_configured{salon_config{0, 1}, services}),
        ev(evt::salon_configured{salon_config{20, 2600}, {}}),
        ev(evt::staff_added{staff_id{"st-1"}, "李雷", role::owner}),
        ev(evt::staff_clocked_in{staff_id{"st-1"}}),
        ev(evt::staff_clocked_out{staff_id{"st-1"}}),
        ev(evt::ticket_issued{ticket_id{1},
                              token{0},
                              customer{"Zoë Ağaoğlu", "+90 555", customer_id{"cust-1"}},
                              {"cut", "kids"},
                              2500,
                              31,
                              1,
                              1}),
        ev(evt::ticket_issued{ticket_id{2}, token{2599}, customer{"", "555-0100", std::nullopt}, {"cut"}, 0, 0, 2, 2}),
        ev(evt::service_started{ticket_id{1}, staff_id{"st-1"}, 1, 123'456}),
        ev(evt::service_started{ticket_id{2}, staff_id{"st-1"}, 3, -5'000}), // the clock went back
        ev(evt::service_completed{ticket_id{1}, staff_id{"st-1"}, 1'800'000, 2500, customer_id{"cust-1"}}),
        ev(evt::service_completed{ticket_id{2}, staff_id{"st-1"}, 0, 0, std::nullopt}),
        ev(evt::ticket_skipped{ticket_id{3}, "stepped out \"briefly\"", 2}),
        ev(evt::skip_undone{ticket_id{3}, 1}),
        ev(evt::priority_started{ticket_id{4}, staff_id{"st-1"}, priority_reason::medical_urgency, "m-1", role::manager,
                                 7, 20'778, 5, 60'000}),
        ev(evt::priority_started{ticket_id{5}, staff_id{"st-2"}, priority_reason::child, "o-1", role::owner, 0, -1, 1,
                                 0}),
        ev(evt::ticket_cancelled{ticket_id{6}, "", ticket_status::skipped}),
        ev(evt::ticket_cancelled{ticket_id{7}, "left / will return", ticket_status::waiting}),
        ev(evt::day_closed{20'778, {ticket_id{8}, ticket_id{9}}}),
        ev(evt::day_closed{20'779, {}}),
        log_entry{rejected_command{salon_id{"s-1"}, seq_t{0}, command_id{"c-r"}, actor{"kiosk-1", actor_kind::terminal},
                                   t, "walk_in",
                                   rejection{rejection_code::queue_full, "the salon's \"line\" is full \\ try later"}}},
        log_entry{rejected_command{salon_id{"s-1"}, seq_t{41}, command_id{"c-r2"}, actor{"system", actor_kind::system},
                                   t, "start_priority", rejection{rejection_code::seq_conflict, ""}}},
    };
}

// Drives one salon through decide and evolve, as the engine would.
struct salon_driver {
    salon_state state;
    std::vector<event> events;
    instant now = at(2026, 11, 21, 9, 0);
    int counter = 0;

    void run(command_body body, actor by = actor{"m-1", actor_kind::staff}) {
        auto const c = make_command(fmt::format("c-{}", ++counter), "s-1", std::move(body), now, std::move(by));
        auto const d = decide(state, c);
        REQUIRE_MESSAGE(d.has_value(), type_name(c.body), " was rejected: ", d ? "" : d.error().message);
        for (auto const& e : *d) {
            evolve(state, e);
            events.push_back(e);
        }
        now += 7min + 250ms;
    }
};

inline salon_driver busy_salon() {
    salon_driver s;
    auto const system = actor{"system", actor_kind::system};
    s.run(cmd::register_salon{"Zoë's \"Best\" Salon \\ 李雷", "Europe/Istanbul"}, system);
    s.run(cmd::configure_salon{3, 50,
                               std::vector<service_def>{{"cut", "Haircut", 2500, 30},
                                                        {"color", "Colour ✂", 9000, 90},
                                                        {"kids", "Kids' cut", 1500, 20}},
                               250},
          system);
    s.run(cmd::add_staff{staff_id{"o-1"}, "Zoë Ağaoğlu", role::owner}, system);
    s.run(cmd::add_staff{staff_id{"m-1"}, "Mehmet", role::manager}, system);
    s.run(cmd::add_staff{staff_id{"st-1"}, "李雷", role::staff}, system);
    s.run(cmd::add_staff{staff_id{"st-2"}, "Ann \"Scissors\" O'Neil", role::staff}, system);
    for (auto const* id : {"st-1", "st-2", "m-1"}) {
        s.run(cmd::clock_in{staff_id{id}});
    }
    auto const kiosk = actor{"kiosk-1", actor_kind::terminal};
    s.run(cmd::walk_in{customer{"Ann", "+1 555 0100", customer_id{"cust-1"}}, {"cut"}}, kiosk);       // 1
    s.run(cmd::walk_in{customer{"", "555-0101", std::nullopt}, {"color", "cut"}}, kiosk);             // 2
    s.run(cmd::walk_in{customer{"李雷", "", std::nullopt}, {"kids"}}, kiosk);                         // 3
    s.run(cmd::walk_in{customer{"Zoë \\ \"Z\"", "", customer_id{"cust-2"}}, {"cut", "kids"}}, kiosk); // 4
    s.run(cmd::walk_in{customer{"Bob", "", std::nullopt}, {"cut"}}, kiosk);                           // 5
    s.run(cmd::walk_in{customer{"Cem", "", std::nullopt}, {"cut"}}, kiosk);                           // 6
    s.run(cmd::start_service{staff_id{"st-1"}, std::nullopt}, actor{"st-1", actor_kind::staff});      // 1 serving
    s.run(cmd::start_priority{ticket_id{4}, staff_id{"st-2"}, "child"});                              // 4 serving
    s.run(cmd::skip_ticket{ticket_id{2}, "stepped out \"briefly\""});
    s.run(cmd::skip_ticket{ticket_id{3}, "phone call"});
    s.run(cmd::undo_skip{ticket_id{3}});
    s.run(cmd::cancel_ticket{ticket_id{5}, "left"});
    s.run(cmd::complete_service{ticket_id{1}, std::nullopt}, actor{"st-1", actor_kind::staff});
    s.run(cmd::start_service{staff_id{"st-1"}, ticket_id{6}}, actor{"st-1", actor_kind::staff}); // 6 serving
    s.run(cmd::walk_in{customer{"Dana", "", std::nullopt}, {"cut"}}, kiosk);                     // 7
    return s;
}

} // namespace salonq::test::codec_support
