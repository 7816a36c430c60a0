// Tests of the JSON codec's log entries and state: round trips of every event, a rejection and a salon state,
// precise refusals of bad ones, string escaping and the time and day formats.

#include "test/engine/codec_support.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/codec/state_codec.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <variant>

namespace {

using namespace salonq::engine;
using namespace salonq::engine::codec;
using namespace salonq::test::codec_support;

// --- (3) every event type and a rejection round-trip ----------------------------------------------------------

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

// The writer scans 8 bytes at a time: every byte value, at every place in and around a block, in strings of every
// length up to three blocks, must come out as a byte-at-a-time escaper writes it.
TEST_CASE("codec: the escaping of every byte value at every position matches a byte-by-byte escaper") {
    auto const reference = [](std::string_view s) {
        std::string out = "\"";
        for (char const c : s) {
            auto const ch = static_cast<unsigned char>(c);
            if (ch == '"' || ch == '\\') {
                out += '\\';
                out += c;
            } else if (ch == '\n') {
                out += "\\n";
            } else if (ch == '\r') {
                out += "\\r";
            } else if (ch == '\t') {
                out += "\\t";
            } else if (ch < 0x20) {
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(ch));
            } else {
                out += c;
            }
        }
        return out + "\"";
    };
    int checked = 0;
    for (std::size_t length = 1; length <= 24; ++length) {
        for (std::size_t at = 0; at < length; ++at) {
            for (int value = 0; value < 256; ++value) {
                std::string s(length, 'a');
                s[at] = static_cast<char>(value);
                if (at + 1 < length) {
                    s[length - 1] = static_cast<char>(0xc3); // a UTF-8 lead byte after it, as in "Zoë"
                }
                json_writer w;
                w.string(s);
                if (w.str() != reference(s)) {
                    FAIL_CHECK("length " << length << ", byte " << value << " at " << at);
                }
                ++checked;
            }
        }
    }
    CHECK(checked == 256 * 300);
}

TEST_CASE("codec: names with quotes, backslashes and non-ASCII letters round-trip") {
    for (std::string const name :
         {"Zoë Ağaoğlu", "李雷", "O\"Brien \\ Sons", "\\\"", "\\u0041", "💇‍♀️ Åsa", "/*x*/"}) {
        INFO(name);
        auto const c = salonq::test::make_command("c-1", "s-1", cmd::walk_in{customer{name, "", std::nullopt}, {"cut"}},
                                                  at(2026, 11, 21, 9, 30), salonq::test::terminal("kiosk-1"));
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

} // namespace
