// Tests of the JSON codec: the golden table of malformed commands (test/data/bad_commands.jsonl), round trips of
// every command, event and state, string escaping, the time format, and a seeded mutation fuzz loop.

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/codec/shared.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <fstream>
#include <random>
#include <set>
#include <tuple>

namespace {

using namespace salonq::engine;
using namespace salonq::engine::codec;
using namespace std::chrono_literals;

// --- helpers -------------------------------------------------------------------------------------------------

instant at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0, int ms = 0) {
    return instant{std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}}} +
           std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss} + std::chrono::milliseconds{ms};
}

// The members of each command body, so two commands can be compared field by field.
auto members(cmd::register_salon const& b) { return std::tie(b.name, b.timezone); }
auto members(cmd::configure_salon const& b) { return std::tie(b.priority_daily_limit, b.max_waiting, b.services); }
auto members(cmd::add_staff const& b) { return std::tie(b.staff, b.name, b.staff_role); }
auto members(cmd::clock_in const& b) { return std::tie(b.staff); }
auto members(cmd::clock_out const& b) { return std::tie(b.staff); }
auto members(cmd::walk_in const& b) { return std::tie(b.who, b.services); }
auto members(cmd::start_service const& b) { return std::tie(b.staff, b.ticket); }
auto members(cmd::complete_service const& b) { return std::tie(b.ticket, b.amount_cents); }
auto members(cmd::skip_ticket const& b) { return std::tie(b.ticket, b.reason); }
auto members(cmd::undo_skip const& b) { return std::tie(b.ticket); }
auto members(cmd::start_priority const& b) { return std::tie(b.ticket, b.staff, b.reason); }
auto members(cmd::cancel_ticket const& b) { return std::tie(b.ticket, b.reason); }
auto members(cmd::close_day const&) { return std::tuple<>{}; }

bool same_command(command const& a, command const& b) {
    if (std::tie(a.id, a.salon, a.expected_seq, a.by, a.received_at) !=
            std::tie(b.id, b.salon, b.expected_seq, b.by, b.received_at) ||
        a.body.index() != b.body.index()) {
        return false;
    }
    return std::visit([&](auto const& x) { return members(x) == members(std::get<std::decay_t<decltype(x)>>(b.body)); },
                      a.body);
}

std::string from_hex(std::string_view hex) {
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
};

std::vector<bad_row> load_bad_rows() {
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
        bad_row r{text("name"), text("description"), "", text("code"), text("path")};
        r.input = o["input_hex"].error() == simdjson::SUCCESS ? from_hex(text("input_hex")) : text("input");
        CHECK(o.size() == 5);
        rows.push_back(std::move(r));
    }
    return rows;
}

// A client command: its message and what it must decode to (received_at is the engine's, so it stays unset).
struct good_command {
    std::string json;
    command expected;
};

command make(std::string_view id, command_body body, actor by = actor{"kiosk-1", actor_kind::terminal}) {
    return command{
        command_id{std::string{id}}, salon_id{"s-1"}, std::nullopt, std::move(by), instant{}, std::move(body)};
}

std::vector<good_command> good_commands() {
    auto const manager = actor{"m-1", actor_kind::staff};
    std::vector<good_command> out{
        {R"({"type":"register_salon","v":1,"commandId":"c-1","salonId":"s-1","actor":{"kind":"system","id":"setup"},
            "payload":{"name":"Zoë's \"Best\" Salon \\ 李雷","timezone":"Europe/Istanbul"}})",
         make("c-1", cmd::register_salon{"Zoë's \"Best\" Salon \\ 李雷", "Europe/Istanbul"},
              actor{"setup", actor_kind::system})},
        {R"({"type":"configure_salon","commandId":"c-2","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"priorityDailyLimit":3,"maxWaiting":50,"services":[
              {"code":"cut","name":"Haircut","priceCents":2500,"durationMin":30},
              {"code":"color","name":"Colour ✂","priceCents":9000,"durationMin":90}]}})",
         make("c-2",
              cmd::configure_salon{
                  3, 50, std::vector<service_def>{{"cut", "Haircut", 2500, 30}, {"color", "Colour ✂", 9000, 90}}},
              manager)},
        {R"({"type":"configure_salon","commandId":"c-3","salonId":"s-1","payload":{}})",
         make("c-3", cmd::configure_salon{}, actor{"system", actor_kind::system})},
        {R"({"type":"configure_salon","commandId":"c-4","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"services":[]}})",
         make("c-4", cmd::configure_salon{std::nullopt, std::nullopt, std::vector<service_def>{}}, manager)},
        {R"({"type":"add_staff","commandId":"c-5","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"staffId":"st-1","name":"Ayşe Yılmaz","role":"staff"}})",
         make("c-5", cmd::add_staff{staff_id{"st-1"}, "Ayşe Yılmaz", role::staff}, manager)},
        {R"({"type":"clock_in","commandId":"c-6","salonId":"s-1","actor":{"kind":"staff","id":"st-1"},
            "payload":{"staffId":"st-1"}})",
         make("c-6", cmd::clock_in{staff_id{"st-1"}}, actor{"st-1", actor_kind::staff})},
        {R"({"type":"clock_out","commandId":"c-7","salonId":"s-1","payload":{"staffId":"st-1"}})",
         make("c-7", cmd::clock_out{staff_id{"st-1"}}, actor{"system", actor_kind::system})},
        {R"({"type":"walk_in","v":1,"commandId":"c-8","salonId":"s-1","expectedSeq":12,
            "actor":{"kind":"terminal","id":"kiosk-1"},
            "payload":{"customer":{"name":"Zoë Ağaoğlu","phone":"+90 555 010 0000","customerId":"cust-42"},
                       "services":["cut","color"]}})",
         [] {
             auto c = make("c-8", cmd::walk_in{customer{"Zoë Ağaoğlu", "+90 555 010 0000", customer_id{"cust-42"}},
                                               {"cut", "color"}});
             c.expected_seq = seq_t{12};
             return c;
         }()},
        {R"({"type":"walk_in","commandId":"c-9","salonId":"s-1","actor":{"kind":"terminal","id":"kiosk-1"},
            "payload":{"customer":{"phone":"555-0100"},"services":["cut"]}})",
         make("c-9", cmd::walk_in{customer{"", "555-0100", std::nullopt}, {"cut"}})},
        {R"({"type":"walk_in","commandId":"c-10","salonId":"s-1","actor":{"kind":"terminal","id":"kiosk-1"},
            "payload":{"customer":{"name":"\u674e\u96f7 \ud83d\udc87"},"services":["cut"]}})",
         make("c-10", cmd::walk_in{customer{"李雷 💇", "", std::nullopt}, {"cut"}})},
        {R"({"type":"start","commandId":"c-11","salonId":"s-1","actor":{"kind":"staff","id":"st-1"},
            "payload":{"staffId":"st-1"}})",
         make("c-11", cmd::start_service{staff_id{"st-1"}, std::nullopt}, actor{"st-1", actor_kind::staff})},
        {R"({"type":"start","commandId":"c-12","salonId":"s-1","actor":{"kind":"staff","id":"st-1"},
            "payload":{"staffId":"st-1","ticketId":1000000000000}})",
         make("c-12", cmd::start_service{staff_id{"st-1"}, ticket_id{1'000'000'000'000}},
              actor{"st-1", actor_kind::staff})},
        {R"({"type":"complete","commandId":"c-13","salonId":"s-1","actor":{"kind":"staff","id":"st-1"},
            "payload":{"ticketId":1}})",
         make("c-13", cmd::complete_service{ticket_id{1}, std::nullopt}, actor{"st-1", actor_kind::staff})},
        {R"({"type":"complete","commandId":"c-14","salonId":"s-1","actor":{"kind":"staff","id":"st-1"},
            "payload":{"ticketId":1,"amountCents":0}})",
         make("c-14", cmd::complete_service{ticket_id{1}, std::int64_t{0}}, actor{"st-1", actor_kind::staff})},
        {R"({"type":"skip","commandId":"c-15","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"ticketId":2,"reason":"stepped out \"briefly\" \\ back at 10"}})",
         make("c-15", cmd::skip_ticket{ticket_id{2}, "stepped out \"briefly\" \\ back at 10"}, manager)},
        {R"({"type":"undo_skip","commandId":"c-16","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"ticketId":2}})",
         make("c-16", cmd::undo_skip{ticket_id{2}}, manager)},
        {R"({"type":"start_priority","commandId":"c-17","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"ticketId":3,"staffId":"st-1","reason":"not_a_listed_reason"}})",
         make("c-17", cmd::start_priority{ticket_id{3}, staff_id{"st-1"}, "not_a_listed_reason"}, manager)},
        {R"({"type":"cancel","commandId":"c-18","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"ticketId":4,"reason":"left"}})",
         make("c-18", cmd::cancel_ticket{ticket_id{4}, "left"}, manager)},
        {R"({"type":"cancel","commandId":"c-19","salonId":"s-1","actor":{"kind":"staff","id":"m-1"},
            "payload":{"ticketId":4}})",
         make("c-19", cmd::cancel_ticket{ticket_id{4}, ""}, manager)},
        {"\n{ \"type\" : \"close_day\" ,\r\n \"commandId\" : \"c-20\", \"salonId\" : \"s-1\", \"expectedSeq\" : 0,\t"
         "\"payload\" : { } }\n",
         [] {
             auto c = make("c-20", cmd::close_day{}, actor{"system", actor_kind::system});
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
                   [&] {
                       auto c = make(long_id, cmd::walk_in{customer{name, "", std::nullopt}, codes},
                                     actor{long_id, actor_kind::terminal});
                       c.salon = salon_id{long_id};
                       return c;
                   }()});
    return out;
}

// --- (1) the golden table of malformed commands ------------------------------------------------------------------

TEST_CASE("codec: every malformed command in the golden table fails with its code and path") {
    auto const rows = load_bad_rows();
    REQUIRE(rows.size() >= 40);
    std::set<std::string> names;
    std::set<std::string> codes;
    for (auto const& row : rows) {
        INFO(row.name, ": ", row.description);
        CHECK(names.insert(row.name).second);
        codes.insert(row.code);
        auto const result = decode_command(row.input, command_source::client);
        REQUIRE_FALSE(result.has_value());
        CHECK(to_string(result.error().code) == row.code);
        CHECK(result.error().path == row.path);
        CHECK_FALSE(result.error().message.empty());
    }
    // Every error code except too_large (generated below, 64 KiB does not belong in a data file) has a row.
    for (auto c : {errc::malformed_json, errc::invalid_utf8, errc::wrong_type, errc::missing_field, errc::unknown_field,
                   errc::duplicate_field, errc::too_long, errc::out_of_range, errc::invalid_value, errc::unknown_type,
                   errc::unsupported_version}) {
        CHECK_MESSAGE(codes.contains(std::string{to_string(c)}), "no row for ", to_string(c));
    }
}

TEST_CASE("codec: a message over 64 KiB is too_large; one at the limit decodes") {
    std::string const base = R"({"type":"close_day","commandId":"c-1","salonId":"s-1","payload":{}})";
    std::string at_limit = base + std::string(limits::message - base.size(), ' ');
    REQUIRE(at_limit.size() == limits::message);
    CHECK(decode_command(at_limit).has_value());

    auto const over = at_limit + " ";
    auto const result = decode_command(over);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == errc::too_large);
    CHECK(result.error().path == "");
    CHECK_FALSE(result.error().message.empty());

    auto const huge = std::string(10 * limits::message, '[');
    CHECK(decode_command(huge).error().code == errc::too_large);
    CHECK(decode_entry(huge).error().code == errc::too_large);
    CHECK(decode_state(huge).error().code == errc::too_large);
}

TEST_CASE("codec: an empty view (null data pointer) is malformed_json") {
    for (auto const& result :
         {decode_command(std::string_view{}), decode_command(std::string_view{}, command_source::log)}) {
        REQUIRE_FALSE(result.has_value());
        CHECK(result.error().code == errc::malformed_json);
    }
    CHECK(decode_entry(std::string_view{}).error().code == errc::malformed_json);
    CHECK(decode_state(std::string_view{}).error().code == errc::malformed_json);
}

TEST_CASE("codec: deeply nested input is malformed_json, not a stack overflow") {
    auto const deep = R"({"type":"close_day","commandId":"c-1","salonId":"s-1","payload":{"x":)" +
                      std::string(20'000, '[') + std::string(20'000, ']') + "}}";
    auto const result = decode_command(deep);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == errc::malformed_json);
    CHECK(result.error().path == "");
}

// --- (2) good commands decode and round-trip through the log form -------------------------------------------------

TEST_CASE("codec: good commands of every type decode and round-trip through the log form") {
    auto const cases = good_commands();
    std::set<std::size_t> types;
    auto const received = at(2026, 11, 21, 9, 30, 0, 123);
    for (auto const& gc : cases) {
        INFO(gc.json);
        auto decoded = decode_command(gc.json, command_source::client);
        REQUIRE_MESSAGE(decoded.has_value(), decoded.error().path, ": ", decoded.error().message);
        CHECK(same_command(*decoded, gc.expected));
        types.insert(decoded->body.index());

        decoded->received_at = received;
        auto const log_form = encode_command(*decoded);
        INFO(log_form);
        auto again = decode_command(log_form, command_source::log);
        REQUIRE_MESSAGE(again.has_value(), again.error().path, ": ", again.error().message);
        CHECK(same_command(*again, *decoded));
        CHECK(encode_command(*again) == log_form);

        // The log form always carries receivedAt, so a client may not send it back as is.
        auto as_client = decode_command(log_form, command_source::client);
        REQUIRE_FALSE(as_client.has_value());
        CHECK(as_client.error().code == errc::unknown_field);
        CHECK(as_client.error().path == "receivedAt");
    }
    CHECK(types.size() == std::variant_size_v<command_body>);
}

TEST_CASE("codec: a command read back from the log needs a valid receivedAt") {
    std::string const base = R"({"type":"close_day","commandId":"c-1","salonId":"s-1","payload":{}})";
    auto const with = [&](std::string_view received) {
        return decode_command(fmt::format(R"({{"receivedAt":{},{})", received, base.substr(1)), command_source::log);
    };
    auto ok = with(R"("2026-11-21T09:30:00.123Z")");
    REQUIRE(ok.has_value());
    CHECK(ok->received_at == at(2026, 11, 21, 9, 30, 0, 123));

    auto missing = decode_command(base, command_source::log);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().code == errc::missing_field);
    CHECK(missing.error().path == "receivedAt");

    for (auto [text, code] : {std::pair{R"("2026-11-21 09:30:00Z")", errc::invalid_value},
                              std::pair{R"("2026-11-21T09:30:00+01:00")", errc::invalid_value},
                              std::pair{R"(1795253400123)", errc::wrong_type}, std::pair{R"(null)", errc::wrong_type},
                              std::pair{R"("2026-11-21T09:30:00.123000000000000000000Z")", errc::too_long}}) {
        INFO(text);
        auto r = with(text);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == code);
        CHECK(r.error().path == "receivedAt");
    }
}

// --- (3) every event type and a rejection round-trip ----------------------------------------------------------

std::vector<log_entry> sample_entries() {
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

TEST_CASE("codec: every event type and a rejected command round-trip through encode_entry and decode_entry") {
    std::set<std::size_t> types;
    for (auto const& entry : sample_entries()) {
        auto const json = encode_entry(entry);
        INFO(json);
        auto decoded = decode_entry(json);
        REQUIRE_MESSAGE(decoded.has_value(), decoded.error().path, ": ", decoded.error().message);
        CHECK(*decoded == entry);
        CHECK(encode_entry(*decoded) == json);
        if (auto const* e = std::get_if<event>(&entry)) {
            types.insert(e->body.index());
            CHECK(encode_event(*e) == json);
        } else {
            CHECK(encode_rejected(std::get<rejected_command>(entry)) == json);
        }
    }
    CHECK(types.size() == std::variant_size_v<event_body>);
}

TEST_CASE("codec: decode_entry refuses bad events precisely") {
    auto const good = encode_entry(sample_entries().front());
    auto const expect = [](std::string const& json, errc code, std::string_view path) {
        INFO(json);
        auto r = decode_entry(json);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == code);
        CHECK(r.error().path == path);
        CHECK_FALSE(r.error().message.empty());
    };
    auto replace = [&](std::string_view from, std::string_view to) {
        auto s = good;
        auto const pos = s.find(from);
        REQUIRE(pos != std::string::npos);
        return s.replace(pos, from.size(), to);
    };
    expect(replace(R"("salon_registered")", R"("salon_exploded")"), errc::unknown_type, "type");
    expect(replace(R"("seq":1)", R"("seq":0)"), errc::out_of_range, "seq");
    expect(replace(R"("seq":1,)", ""), errc::missing_field, "seq");
    expect(replace(R"("v":1)", R"("v":2)"), errc::unsupported_version, "v");
    expect(replace(R"("at":")", R"("at":"x)"), errc::invalid_value, "at");
    expect(replace(R"("priorityDailyLimit":5)", R"("priorityDailyLimit":5,"x":1)"), errc::unknown_field,
           "payload.config.x");
    expect(replace(R"("kind":"staff")", R"("kind":"robot")"), errc::invalid_value, "actor.kind");
    expect(R"({"type":"command_rejected","v":1,"salonId":"s-1","atSeq":0,"commandId":"c-1",)"
           R"("actor":{"kind":"system","id":"system"},"at":"2026-11-21T09:30:00.000Z","commandType":"walk_in",)"
           R"("payload":{"code":"bad_mood","message":"x"}})",
           errc::invalid_value, "payload.code");
}

// --- (4) state round-trip ---------------------------------------------------------------------------------------

// Drives one salon through decide and evolve, as the engine would.
struct salon_driver {
    salon_state state;
    std::vector<event> events;
    instant now = at(2026, 11, 21, 9, 0);
    int counter = 0;

    void run(command_body body, actor by = actor{"m-1", actor_kind::staff}) {
        command const c{command_id{fmt::format("c-{}", ++counter)},
                        salon_id{"s-1"},
                        std::nullopt,
                        std::move(by),
                        now,
                        std::move(body)};
        auto const d = decide(state, c);
        REQUIRE_MESSAGE(d.has_value(), type_name(c.body), " was rejected: ", d ? "" : d.error().message);
        for (auto const& e : *d) {
            evolve(state, e);
            events.push_back(e);
        }
        now += 7min + 250ms;
    }
};

salon_driver busy_salon() {
    salon_driver s;
    auto const system = actor{"system", actor_kind::system};
    s.run(cmd::register_salon{"Zoë's \"Best\" Salon \\ 李雷", "Europe/Istanbul"}, system);
    s.run(cmd::configure_salon{3, 50,
                               std::vector<service_def>{{"cut", "Haircut", 2500, 30},
                                                        {"color", "Colour ✂", 9000, 90},
                                                        {"kids", "Kids' cut", 1500, 20}}},
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

void check_state_round_trip(salon_state const& state) {
    auto const json = encode_state(state);
    INFO(json);
    auto decoded = decode_state(json);
    REQUIRE_MESSAGE(decoded.has_value(), decoded.error().path, ": ", decoded.error().message);
    CHECK(*decoded == state);
    CHECK(encode_state(*decoded) == json);
}

TEST_CASE("codec: a salon state folded from events round-trips through encode_state and decode_state") {
    auto s = busy_salon();
    REQUIRE(s.state.tickets.size() == 5);
    check_state_round_trip(s.state);

    SUBCASE("every event the day produced round-trips too") {
        for (auto const& e : s.events) {
            auto const decoded = decode_entry(encode_event(e));
            REQUIRE(decoded.has_value());
            CHECK(std::get<event>(*decoded) == e);
        }
    }
    SUBCASE("after the day is closed") {
        s.run(cmd::complete_service{ticket_id{4}, 100}, actor{"st-2", actor_kind::staff});
        s.run(cmd::clock_out{staff_id{"st-2"}}, actor{"st-2", actor_kind::staff});
        s.run(cmd::close_day{});
        check_state_round_trip(s.state);
    }
    SUBCASE("a salon that was only registered") {
        salon_driver fresh;
        fresh.run(cmd::register_salon{"New", "UTC"}, actor{"system", actor_kind::system});
        check_state_round_trip(fresh.state);
    }
}

TEST_CASE("codec: decode_state refuses a bad state precisely") {
    auto const json = encode_state(busy_salon().state);
    auto const pos = json.find(R"("status":"serving")");
    REQUIRE(pos != std::string::npos);
    auto bad = json;
    bad.replace(pos, 18, R"("status":"dancing")");
    auto r = decode_state(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_value);
    CHECK(r.error().path.starts_with("tickets["));
    CHECK(r.error().path.ends_with("].status"));
}

// --- (5) string escaping ----------------------------------------------------------------------------------------

TEST_CASE("codec: the writer escapes what JSON requires and nothing else") {
    json_writer w;
    w.string("q\" b\\ n\n r\r t\t c\x01\x1f / del\x7f Zoë Ağaoğlu 李雷 💇");
    CHECK(w.str() == "\"q\\\" b\\\\ n\\n r\\r t\\t c\\u0001\\u001f / del\x7f Zoë Ağaoğlu 李雷 💇\"");

    simdjson::dom::parser parser;
    std::string_view back;
    REQUIRE(parser.parse(w.str()).get_string().get(back) == simdjson::SUCCESS);
    CHECK(back == "q\" b\\ n\n r\r t\t c\x01\x1f / del\x7f Zoë Ağaoğlu 李雷 💇");
}

TEST_CASE("codec: names with quotes, backslashes and non-ASCII letters round-trip") {
    for (std::string const name :
         {"Zoë Ağaoğlu", "李雷", "O\"Brien \\ Sons", "\\\"", "\\u0041", "💇‍♀️ Åsa", "/*x*/"}) {
        INFO(name);
        auto c = make("c-1", cmd::walk_in{customer{name, "", std::nullopt}, {"cut"}});
        c.received_at = at(2026, 11, 21, 9, 30);
        auto const json = encode_command(c);
        auto back = decode_command(json, command_source::log);
        REQUIRE_MESSAGE(back.has_value(), back.error().message);
        CHECK(same_command(*back, c));
        if (name.find_first_of("\"\\") == std::string::npos) {
            CHECK(json.find(name) != std::string::npos); // written as UTF-8, not as \u escapes
        }
    }
    // Escaped input decodes to the same UTF-8 as the raw form.
    auto const escaped =
        decode_command(R"({"type":"add_staff","commandId":"c-1","salonId":"s-1","payload":{"staffId":"st-1",)"
                       R"("name":"Zo\u00eb A\u011fao\u011flu \u674e\u96f7 \ud83d\udc87 \"\\\/","role":"staff"}})");
    REQUIRE(escaped.has_value());
    CHECK(std::get<cmd::add_staff>(escaped->body).name == "Zoë Ağaoğlu 李雷 💇 \"\\/");
}

// --- (6) time format --------------------------------------------------------------------------------------------

TEST_CASE("codec: instants are written as RFC 3339 UTC with milliseconds and parsed back") {
    auto const t = at(2026, 11, 21, 9, 30, 0, 123);
    CHECK(format_time(t) == "2026-11-21T09:30:00.123Z");
    CHECK(parse_time("2026-11-21T09:30:00.123Z") == t);
    CHECK(parse_time("2026-11-21T09:30:00Z") == at(2026, 11, 21, 9, 30));

    for (auto const sample : {instant{}, at(1969, 12, 31, 23, 59, 59, 999), at(2024, 2, 29, 12, 0, 0, 1),
                              at(2026, 12, 31, 23, 59, 59, 999), at(9999, 12, 31, 23, 59, 59, 999), at(2000, 1, 1)}) {
        auto const text = format_time(sample);
        INFO(text);
        CHECK(text.size() == 24);
        CHECK(parse_time(text) == sample);
    }
    CHECK(format_time(at(1969, 12, 31, 23, 59, 59, 999)) == "1969-12-31T23:59:59.999Z");

    for (std::string_view bad : {"",
                                 "2026-11-21",
                                 "2026-11-21T09:30:00",
                                 "2026-11-21 09:30:00Z",
                                 "2026-11-21t09:30:00Z",
                                 "2026-11-21T09:30:00z",
                                 "2026-11-21T09:30:00+00:00",
                                 "2026-11-21T09:30:00.12Z",
                                 "2026-11-21T09:30:00.1234Z",
                                 "2026-11-21T09:30:00,123Z",
                                 "2026-11-21T09:30Z",
                                 "2026-02-29T09:30:00Z",
                                 "2026-13-01T09:30:00Z",
                                 "2026-00-10T09:30:00Z",
                                 "2026-11-00T09:30:00Z",
                                 "2026-11-21T24:00:00Z",
                                 "2026-11-21T09:60:00Z",
                                 "2026-11-21T09:30:60Z",
                                 "2026-1-21T09:30:00.000Z",
                                 "+2026-11-21T09:30:00Z",
                                 "2026-11-21T09:30:00.-12Z",
                                 "2026-11-21T09:3a:00Z",
                                 "２０２６-11-21T09:30:00Z"}) {
        INFO(bad);
        CHECK_FALSE(parse_time(bad).has_value());
    }
}

TEST_CASE("codec: local days are written as dates and parsed back") {
    auto const day =
        static_cast<local_day>(std::chrono::sys_days{std::chrono::year{2026} / 11 / 21}.time_since_epoch().count());
    CHECK(format_day(day) == "2026-11-21");
    CHECK(parse_day("2026-11-21") == day);
    CHECK(format_day(0) == "1970-01-01");
    CHECK(parse_day("1969-12-31") == -1);
    for (std::string_view bad :
         {"", "2026-02-29", "2026-13-01", "2026-1-01", "2026-11-21Z", "20261121", "2026/11/21"}) {
        INFO(bad);
        CHECK_FALSE(parse_day(bad).has_value());
    }
}

// --- (7) seeded mutation fuzz -------------------------------------------------------------------------------------

// One decode of each kind; anything that decodes must re-encode to something that decodes to the same encoding.
// Returns a description of the first broken promise, or an empty string.
std::string check_decoders(std::string const& input) {
    auto const check_error = [](error const& e) -> std::string {
        return e.message.empty() || to_string(e.code).empty() ? "an error without a message" : "";
    };
    try {
        for (auto source : {command_source::client, command_source::log}) {
            auto c = decode_command(input, source);
            if (!c) {
                if (auto why = check_error(c.error()); !why.empty()) {
                    return why;
                }
                continue;
            }
            auto const json = encode_command(*c);
            auto again = decode_command(json, command_source::log);
            if (!again || encode_command(*again) != json) {
                return fmt::format("command re-encoding does not decode the same: {}", json);
            }
        }
        if (auto e = decode_entry(input)) {
            auto const json = encode_entry(*e);
            auto again = decode_entry(json);
            if (!again || *again != *e) {
                return fmt::format("entry re-encoding does not decode the same: {}", json);
            }
        } else if (auto why = check_error(e.error()); !why.empty()) {
            return why;
        }
        if (auto s = decode_state(input)) {
            auto const json = encode_state(*s);
            auto again = decode_state(json);
            if (!again || *again != *s) {
                return fmt::format("state re-encoding does not decode the same: {}", json);
            }
        } else if (auto why = check_error(s.error()); !why.empty()) {
            return why;
        }
    } catch (std::exception const& ex) {
        return fmt::format("exception: {}", ex.what());
    } catch (...) {
        return "unknown exception";
    }
    return "";
}

std::vector<std::string> fuzz_seeds() {
    std::vector<std::string> seeds;
    for (auto const& gc : good_commands()) {
        seeds.push_back(gc.json);
        auto c = gc.expected;
        c.received_at = at(2026, 11, 21, 9, 30, 0, 5);
        seeds.push_back(encode_command(c));
    }
    for (auto const& e : sample_entries()) {
        seeds.push_back(encode_entry(e));
    }
    seeds.push_back(encode_state(busy_salon().state));
    return seeds;
}

TEST_CASE("codec: random byte mutations of valid messages decode to a value or an error, never a crash") {
    auto const seeds = fuzz_seeds();

    static constexpr std::array<std::string_view, 22> fragments{"\"",
                                                                "\\",
                                                                "{",
                                                                "}",
                                                                "[",
                                                                "]",
                                                                ",",
                                                                ":",
                                                                "-1",
                                                                "0",
                                                                "1e999",
                                                                "null",
                                                                "true",
                                                                "1.5",
                                                                "\\u0000",
                                                                "\xff",
                                                                "\xc3\xa9",
                                                                "\"x\":1",
                                                                "99999999999999999999",
                                                                "\"\"",
                                                                " ",
                                                                "\n"};
    std::mt19937_64 rng{20261121};
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    int failures = 0;
    constexpr int rounds = 5000;
    for (int round = 0; round < rounds; ++round) {
        auto input = seeds[pick(seeds.size())];
        for (auto edits = 1 + pick(3); edits > 0; --edits) {
            auto const pos = pick(input.size() + 1);
            switch (pick(5)) {
            case 0: // flip a byte
                if (pos < input.size()) {
                    input[pos] = static_cast<char>(rng());
                }
                break;
            case 1: // truncate
                input.resize(pos);
                break;
            case 2: // insert a JSON-ish fragment
                input.insert(pos, fragments[pick(fragments.size())]);
                break;
            case 3: // delete a run
                input.erase(pos, pick(8));
                break;
            default: // duplicate a run
                input.insert(pos, input.substr(pos, pick(24)));
                break;
            }
        }
        if (auto why = check_decoders(input); !why.empty()) {
            ++failures;
            if (failures <= 5) {
                FAIL_CHECK(why, "\ninput: ", input);
            }
        }
    }
    CHECK(failures == 0);
}

// Values that sit on or just past the codec's limits, or have the wrong type for most fields.
constexpr std::array<std::string_view, 28> interesting_values{"0",
                                                              "-1",
                                                              "1",
                                                              "1000000000000",
                                                              "1000000000001",
                                                              "9223372036854775807",
                                                              "9223372036854775808",
                                                              "-9223372036854775808",
                                                              "1.5",
                                                              "1e3",
                                                              "null",
                                                              "true",
                                                              "\"\"",
                                                              "\"x\"",
                                                              "\"a b\"",
                                                              "\"2026-11-21T09:30:00.000Z\"",
                                                              "\"2026-11-21\"",
                                                              "\"A00\"",
                                                              "\"Z99\"",
                                                              "\"a00\"",
                                                              "\"staff\"",
                                                              "\"owner\"",
                                                              "\"waiting\"",
                                                              "\"child\"",
                                                              "[]",
                                                              "{}",
                                                              "[1,2]",
                                                              "\"\\u0000\""};

// Re-writes a parsed message with random structural changes: a value replaced, a field dropped, repeated or added,
// an array item dropped. Unlike byte flips these get past the parser and exercise the field checks.
void rewrite(json_writer& w, simdjson::dom::element e, std::mt19937_64& rng, std::uint64_t rate) {
    if (rng() % rate == 0) {
        w.raw(interesting_values[rng() % interesting_values.size()]);
        return;
    }
    switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
        w.begin_object();
        simdjson::dom::object const object = e.get_object().value_unsafe();
        for (auto [key, value] : object) {
            auto const roll = rng() % (rate * 2);
            if (roll == 0) {
                continue;
            }
            w.key(key);
            rewrite(w, value, rng, rate);
            if (roll == 1) {
                w.key(key).raw(interesting_values[rng() % interesting_values.size()]);
            } else if (roll == 2) {
                w.key("extra").raw("1");
            }
        }
        w.end_object();
        break;
    }
    case simdjson::dom::element_type::ARRAY: {
        w.begin_array();
        simdjson::dom::array const array = e.get_array().value_unsafe();
        for (auto item : array) {
            if (rng() % (rate * 2) != 0) {
                rewrite(w, item, rng, rate);
            }
        }
        w.end_array();
        break;
    }
    case simdjson::dom::element_type::STRING:
        w.string(e.get_string().value_unsafe());
        break;
    case simdjson::dom::element_type::INT64:
        w.number(e.get_int64().value_unsafe());
        break;
    case simdjson::dom::element_type::UINT64:
        w.number(e.get_uint64().value_unsafe());
        break;
    case simdjson::dom::element_type::DOUBLE:
        w.raw(fmt::format("{}", e.get_double().value_unsafe()));
        break;
    case simdjson::dom::element_type::BOOL:
        w.boolean(e.get_bool().value_unsafe());
        break;
    case simdjson::dom::element_type::NULL_VALUE:
        w.null();
        break;
    }
}

TEST_CASE("codec: random structural mutations of valid messages decode to a value or an error, never a crash") {
    auto const seeds = fuzz_seeds();
    std::mt19937_64 rng{1121};
    simdjson::dom::parser parser;
    int failures = 0;
    int decoded = 0;
    constexpr int rounds = 3000;
    for (int round = 0; round < rounds; ++round) {
        simdjson::dom::element doc;
        REQUIRE(parser.parse(seeds[rng() % seeds.size()]).get(doc) == simdjson::SUCCESS);
        json_writer w;
        rewrite(w, doc, rng, 8 + rng() % 64);
        auto const input = w.str();
        if (auto why = check_decoders(input); !why.empty()) {
            ++failures;
            if (failures <= 5) {
                FAIL_CHECK(why, "\ninput: ", input);
            }
        }
        decoded += decode_command(input, command_source::log).has_value() || decode_entry(input).has_value() ? 1 : 0;
    }
    CHECK(failures == 0);
    CHECK(decoded > rounds / 20); // the mutations are mild enough that some messages still decode
}

TEST_CASE("codec: the bad command table never crashes the other decoders") {
    for (auto const& row : load_bad_rows()) {
        INFO(row.name);
        CHECK(check_decoders(row.input) == "");
    }
}

} // namespace
