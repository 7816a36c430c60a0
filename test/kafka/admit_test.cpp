// Which messages of the commands topic a worker decides, and the command_invalid record that answers the rest:
// a table of messages as POS producers send them (right, keyed wrongly, unkeyed on an explicit partition, on the
// wrong partition, not decodable), then the record's round trip with the ids it carries.

#include "engine/codec/invalid_codec.hpp"
#include "engine/kafka/detail/admit.hpp"
#include "engine/log/partitioner.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace admit_test {

namespace {

using namespace salonq::engine;
using kafka::detail::admit_command;

constexpr std::int32_t partitions = 12;
std::string const walk_in =
    R"({"type":"walk_in","commandId":"pos7-1","salonId":"salon-042","payload":{"customer":{"name":"Ana"},"services":["HC"]}})";

// A key other than salon-042 that murmur2 puts on salon-042's partition: the partition alone cannot tell.
std::string same_partition_other_key() {
    auto const home = log::partition_for("salon-042", partitions);
    for (int i = 0;; ++i) {
        auto key = "salon-" + std::to_string(i);
        if (key != "salon-042" && log::partition_for(key, partitions) == home) {
            return key;
        }
    }
}

struct row {
    char const* name;
    std::string key;
    std::string value;
    std::optional<std::int32_t> partition; // default: salon-042's
    std::optional<codec::errc> refused;    // nullopt: decided
    char const* path = "";
    std::optional<std::string> command_id; // what the command_invalid record carries
};

} // namespace

TEST_CASE("kafka admit: a command is decided only when keyed by its salonId on its salon's partition") {
    auto const home = log::partition_for("salon-042", partitions);
    row const rows[] = {
        {"keyed by its salonId", "salon-042", walk_in, {}, {}, "", "pos7-1"},
        {"keyed by another salon that hashes alike",
         same_partition_other_key(),
         walk_in,
         {},
         codec::errc::wrong_key,
         "salonId",
         "pos7-1"},
        {"no key, an explicit partition", "", walk_in, {}, codec::errc::wrong_key, "salonId", "pos7-1"},
        {"keyed right, on another partition", "salon-042", walk_in, (home + 1) % partitions, codec::errc::invalid_value,
         "salonId", "pos7-1"},
        {"an unknown field: the ids still read",
         "salon-042",
         R"({"type":"close_day","commandId":"pos7-2","salonId":"salon-042","payload":{},"tip":5})",
         {},
         codec::errc::unknown_field,
         "tip",
         "pos7-2"},
        {"schema version 2: the ids still read",
         "salon-042",
         R"({"type":"clock_in","v":2,"commandId":"pos7-3","salonId":"salon-042","payload":{"staffId":"s1"}})",
         {},
         codec::errc::unsupported_version,
         "v",
         "pos7-3"},
        {"an invalid commandId is not carried",
         "salon-042",
         R"({"type":"close_day","commandId":"has space","salonId":"salon-042","payload":{}})",
         {},
         codec::errc::invalid_value,
         "commandId",
         std::nullopt},
        {"not JSON: no ids",
         "salon-042",
         R"({"type":"walk_in","commandId":"pos7-4")",
         {},
         codec::errc::malformed_json,
         "",
         std::nullopt},
    };
    for (auto const& r : rows) {
        std::string const name = r.name;
        CAPTURE(name);
        auto const admitted = admit_command(r.key, r.value, r.partition.value_or(home), partitions);
        if (!r.refused) {
            REQUIRE(admitted.has_value());
            CHECK(admitted->id.value() == *r.command_id);
            continue;
        }
        REQUIRE_FALSE(admitted.has_value());
        CHECK(admitted.error().code == *r.refused);
        CHECK(admitted.error().path == r.path);
        auto const ids = codec::peek_ids(r.value);
        CHECK(ids.command.transform([](auto const& id) { return id.value(); }) == r.command_id);
        auto const record = codec::encode_command_invalid(
            {home, 77, from_unix_ms(1'795'254'400'000), ids.command, ids.salon, admitted.error()});
        auto const back = codec::decode_command_invalid(record);
        REQUIRE_MESSAGE(back.has_value(), record);
        CHECK(back->why.code == *r.refused);
        CHECK(back->commands_offset == 77);
        CHECK(back->command.transform([](auto const& id) { return id.value(); }) == r.command_id);
        CHECK(codec::encode_command_invalid(*back) == record);
    }
}

TEST_CASE("kafka admit: the wrong-key message names the salon, never the key (any bytes)") {
    auto const home = log::partition_for("salon-042", partitions);
    auto const refused = admit_command(std::string{"\xff\x01secret"}, walk_in, home, partitions);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message.find("salon-042") != std::string::npos);
    CHECK(refused.error().message.find("secret") == std::string::npos);
}

TEST_CASE("kafka admit: a command_invalid quoting a long or odd field name still reads back") {
    auto const long_field = std::string(2000, 'k') + "\\u0001";
    auto const value = R"({"type":"close_day","commandId":"c1","salonId":"s1","payload":{},")" + long_field + R"(":1})";
    auto const admitted = admit_command("s1", value, log::partition_for("s1", partitions), partitions);
    REQUIRE_FALSE(admitted.has_value());
    CHECK(admitted.error().code == codec::errc::unknown_field);
    auto const record = codec::encode_command_invalid({0, 1, from_unix_ms(0), {}, {}, admitted.error()});
    auto const back = codec::decode_command_invalid(record);
    REQUIRE_MESSAGE(back.has_value(), back.error().message);
    CHECK(back->why.path.size() <= 256);
    CHECK(back->why.path.find('\x01') == std::string::npos);
}

} // namespace admit_test
