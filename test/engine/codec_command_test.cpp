// Tests of the JSON codec's command decoding: the golden table of malformed commands
// (test/data/bad_commands.jsonl), the size and nesting limits, and round trips of every command type.

#include "test/engine/codec_support.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/shared.hpp"
#include "engine/codec/state_codec.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace {

using namespace salonq::engine;
using namespace salonq::engine::codec;
using namespace salonq::test::codec_support;

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
        if (row.message) {
            CHECK(result.error().message == *row.message);
        }
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
}

TEST_CASE("codec: what the engine writes reads back up to the record limit, and no further") {
    // The log form of a command, an event and a state are the engine's own records: a client's 64 KiB limit
    // must not apply to them, or a salon that grew past it could not be loaded again.
    std::string const base = R"({"type":"close_day","commandId":"c-1","salonId":"s-1","payload":{}})";
    auto const past_client_limit = base + std::string(2 * limits::message, ' ');
    CHECK(decode_command(past_client_limit, command_source::client).error().code == errc::too_large);
    auto const log_form = decode_command(past_client_limit, command_source::log);
    REQUIRE_FALSE(log_form.has_value());
    CHECK(log_form.error().code == errc::missing_field); // receivedAt: the size was not the problem
    CHECK(decode_entry(past_client_limit).error().code != errc::too_large);
    CHECK(decode_state(past_client_limit).error().code != errc::too_large);

    auto const huge = std::string(limits::record + 1, '[');
    CHECK(decode_command(huge, command_source::log).error().code == errc::too_large);
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

        // The client form (what `salonq simulate --emit` writes) is the same command without receivedAt.
        auto const client_form = encode_client_command(*decoded);
        CHECK(client_form.find("receivedAt") == std::string::npos);
        auto from_client = decode_command(client_form, command_source::client);
        REQUIRE_MESSAGE(from_client.has_value(), from_client.error().path, ": ", from_client.error().message);
        from_client->received_at = received;
        CHECK(encode_command(*from_client) == log_form);
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

} // namespace
