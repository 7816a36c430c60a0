// Seeded mutation fuzz of the JSON codec: byte and structural mutations of valid messages, and the golden table
// of malformed commands, must decode to a value or an error (never a crash) and re-encode consistently.

#include "test/engine/codec_support.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/codec/state_codec.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <cstdint>
#include <exception>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace salonq::engine;
using namespace salonq::engine::codec;
using namespace salonq::test::codec_support;

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
