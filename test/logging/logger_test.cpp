// The logger's two forms: a text line for a person, a JSON object a line for a log shipper, with the logger's
// context and a line's own fields; levels below the configured one are not written.

#include "engine/logging/logger.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using namespace salonq::logging;

// Runs `body` with the log going to a temporary file and returns the lines written.
template <typename F>
std::vector<std::string> captured(level least, format f, F&& body) {
    std::FILE* out = std::tmpfile();
    REQUIRE(out != nullptr);
    configure(least, f, out);
    body();
    configure(level::info, format::text, stderr);
    REQUIRE(std::fseek(out, 0, SEEK_SET) == 0);
    std::vector<std::string> lines;
    std::string line;
    for (int ch = std::fgetc(out); ch != EOF; ch = std::fgetc(out)) {
        if (ch == '\n') {
            lines.push_back(line);
            line.clear();
        } else {
            line.push_back(static_cast<char>(ch));
        }
    }
    std::fclose(out);
    return lines;
}

} // namespace

TEST_CASE("logger: text lines name the component and instance, then the message and the fields") {
    logger const log{"engine", {kv("instance", "w1")}};
    auto const lines = captured(level::info, format::text, [&] {
        log.info("batch of {} commands", 12);
        log.with({kv("partition", 3)}).warn("taking the partition over failed, retrying: {}", "timed out");
        log.debug("not written at info");
    });
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "salonq engine w1: batch of 12 commands");
    CHECK(lines[1] == "salonq engine w1: warning: taking the partition over failed, retrying: timed out (partition=3)");
}

TEST_CASE("logger: JSON lines are valid JSON with the context and fields, strings escaped, numbers as numbers") {
    logger const log{"serve", {kv("instance", "w\"1")}};
    auto const lines = captured(level::debug, format::json, [&] {
        log.log(level::error, {kv("salonId", "salon-042"), kv("commands", 7)}, "stopped: {}", "quote \" tab \t end");
        log.debug("debug is written at debug");
    });
    REQUIRE(lines.size() == 2);
    simdjson::dom::parser parser;
    auto const doc = parser.parse(lines[0]);
    REQUIRE_MESSAGE(doc.error() == simdjson::SUCCESS, lines[0]);
    CHECK(std::string_view{doc["level"].get_string().value()} == "error");
    CHECK(std::string_view{doc["component"].get_string().value()} == "serve");
    CHECK(std::string_view{doc["instance"].get_string().value()} == "w\"1");
    CHECK(std::string_view{doc["msg"].get_string().value()} == "stopped: quote \" tab \t end");
    CHECK(std::string_view{doc["salonId"].get_string().value()} == "salon-042");
    CHECK(doc["commands"].get_int64().value() == 7);
    CHECK(std::string_view{doc["ts"].get_string().value()}.ends_with("Z"));
    CHECK(parser.parse(lines[1]).error() == simdjson::SUCCESS);
}

TEST_CASE("logger: a field with an empty value is left out, in both forms (a request without a salon)") {
    logger const log{"http"};
    auto const json = captured(level::info, format::json, [&] {
        log.log(level::info, {kv("route", "/healthz"), kv("salonId", ""), kv("commandId", "")}, "GET /healthz 200");
    });
    REQUIRE(json.size() == 1);
    CHECK(json[0].find("salonId") == std::string::npos);
    CHECK(json[0].find("commandId") == std::string::npos);
    CHECK(json[0].find(R"("route":"/healthz")") != std::string::npos);
    auto const text = captured(level::info, format::text, [&] {
        log.log(level::info, {kv("route", "/healthz"), kv("salonId", "")}, "GET /healthz 200");
    });
    REQUIRE(text.size() == 1);
    CHECK(text[0] == "salonq http: GET /healthz 200 (route=/healthz)");
}

TEST_CASE("logger: levels and formats parse from their names only") {
    CHECK(parse_level("warn") == level::warn);
    CHECK_FALSE(parse_level("WARN").has_value());
    CHECK(parse_format("json") == format::json);
    CHECK_FALSE(parse_format("xml").has_value());
}

TEST_CASE("throttle: a failure is said, then the same one once a minute with how many came between; another at once") {
    using namespace std::chrono_literals;
    salonq::logging::throttle t{1min};
    auto const t0 = salonq::logging::throttle::clock::time_point{} + 1h;
    std::uint64_t silenced = 99;
    CHECK(t.due("disk full", silenced, t0));
    CHECK(silenced == 0);
    for (int i = 1; i <= 5; ++i) {
        CHECK_FALSE(t.due("disk full", silenced, t0 + std::chrono::seconds{i}));
    }
    CHECK_FALSE(t.due("disk full", silenced, t0 + 59s));
    CHECK(t.due("disk full", silenced, t0 + 60s));
    CHECK(silenced == 6);
    CHECK(salonq::logging::throttle::since(silenced) == ", 6 more since the last such line");
    CHECK(salonq::logging::throttle::since(0).empty());
    CHECK_FALSE(t.due("disk full", silenced, t0 + 61s));
    CHECK(t.due("corrupt record", silenced, t0 + 62s)); // another failure is said at once
    CHECK(silenced == 0);
    CHECK(t.due("disk full", silenced, t0 + 63s)); // and so is the first again, after it
}

TEST_CASE("logger: a failure through a throttle is one line, then the next due one says how many came between") {
    using namespace std::chrono_literals;
    logger const log{"views"};
    throttle t{1h}; // nothing more is due within this case
    auto const lines = captured(level::info, format::text, [&] {
        for (int i = 0; i < 5; ++i) {
            log.throttled(level::error, t, "disk full", "could not apply: disk full");
        }
        log.throttled(level::warn, t, "corrupt", "could not apply: corrupt");
    });
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "salonq views: error: could not apply: disk full");
    CHECK(lines[1] == "salonq views: warning: could not apply: corrupt");
}
