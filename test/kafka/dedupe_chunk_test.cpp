// Dedupe chunks (engine/kafka/detail/snapshot.hpp): the commandIds a snapshot round carries, how a round's
// entries are cut into records, and which events a restore still has to read back.

#include "engine/kafka/detail/snapshot.hpp"
#include "engine/log/keys.hpp"

#include <doctest/doctest.h>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace dedupe_chunk_test {

namespace {

using namespace salonq::engine;
using namespace salonq::engine::runtime;
using namespace salonq::engine::kafka::detail;
using gaps = std::vector<std::pair<std::int64_t, std::int64_t>>;

std::pair<std::string, dedupe_entry> entry(std::string const& salon, std::string const& command, std::int64_t offset,
                                           std::int64_t at_ms = 1'795'000'000'000, std::uint32_t count = 1) {
    return {log::dedupe_key(salon_id{salon}, command_id{command}),
            dedupe_entry{from_unix_ms(at_ms), partition_id{3}, offset_t{offset}, count}};
}

dedupe_chunk chunk(std::int64_t from, std::int64_t to) { return dedupe_chunk{from, to, {}}; }

} // namespace

TEST_CASE("dedupe chunk: encoded and parsed back, entries and range intact") {
    dedupe_chunk c{
        100, 160, {entry("salon-1", "pos7-000123", 100), entry("s:2", "c@x.y-z_", 130, 1'795'000'123'456, 3)}};
    auto const json = encode_dedupe_chunk(c);
    CHECK(json.starts_with(R"({"type":"dedupe_chunk","v":1,"from":100,"to":160,"entries":[["salon-1","pos7-000123",)"));
    auto back = parse_dedupe_chunk(json, 3);
    REQUIRE(back);
    CHECK(back->from == 100);
    CHECK(back->to == 160);
    REQUIRE(back->entries.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        CHECK(back->entries[i].first == c.entries[i].first);
        CHECK(back->entries[i].second.encode() == c.entries[i].second.encode());
    }
    CHECK(back->newest(instant{}) == from_unix_ms(1'795'000'123'456));
    CHECK(dedupe_chunk{5, 9, {}}.newest(from_unix_ms(42)) == from_unix_ms(42)); // no entries: its round's time

    auto const key = dedupe_chunk_key(160, from_unix_ms(1'795'000'123'456));
    CHECK(key == "~dedupe/160/1795000123456");
    CHECK(is_dedupe_chunk_key(key));
    CHECK(chunk_key_newest(key) == from_unix_ms(1'795'000'123'456));
    CHECK_FALSE(is_dedupe_chunk_key("salon-1"));
    CHECK_FALSE(chunk_key_newest("salon-1"));
    CHECK_FALSE(chunk_key_newest("~dedupe/160/x"));

    std::vector<chunk_ref> const refs{{key, from_unix_ms(1'795'000'123'456)}, {"~dedupe/200/7", from_unix_ms(7)}};
    auto const kept = decode_chunk_refs(encode_chunk_refs(refs));
    REQUIRE(kept.size() == 2);
    CHECK(kept[1].key == "~dedupe/200/7");
    CHECK(kept[1].newest == from_unix_ms(7));
    CHECK(decode_chunk_refs("").empty());
}

TEST_CASE("dedupe chunk: what is not a chunk is refused") {
    for (std::string_view bad : {
             R"({"type":"salon_snapshot","v":1,"eventsOffset":4,"state":{}})",
             R"({"type":"dedupe_chunk","v":1,"from":10,"to":5,"entries":[]})",
             R"({"type":"dedupe_chunk","v":1,"from":-1,"to":5,"entries":[]})",
             R"({"type":"dedupe_chunk","v":1,"from":0,"to":5,"entries":[["s","c",1,2]]})",
             R"({"type":"dedupe_chunk","v":1,"from":0,"to":5,"entries":[["s","c","1",2,1]]})",
             R"({"type":"dedupe_chunk","v":1,"from":0,"to":5,"entries":[["s","c",1,2,-1]]})",
             R"({"type":"dedupe_chunk","v":1,"from":0,"to":5)",
             R"({"type":"dedupe_chunk","v":2,"from":0,"to":5,"entries":[]})",
             R"({"type":"dedupe_chunk","from":0,"to":5,"entries":[]})",
             R"({"type":"dedupe_chunk","v":1,"from":0,"to":5,"entries":[["s","c",1,5,1]]})",
             R"({"type":"dedupe_chunk","v":1,"from":3,"to":5,"entries":[["s","c",1,2,1]]})",
             "",
         }) {
        CAPTURE(bad);
        CHECK_FALSE(parse_dedupe_chunk(bad, 0));
    }
}

TEST_CASE("dedupe chunk: a round's entries are cut into records covering contiguous ranges") {
    dedupe_chunk c{1000, 1100, {}};
    for (int i = 0; i < 7; ++i) {
        c.entries.push_back(entry("s", "c" + std::to_string(i), 1000 + 10 * i));
    }
    auto const parts = split_dedupe_chunk(c, 3);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].from == 1000);
    CHECK(parts[0].to == 1030); // the next part starts at its first outcome
    CHECK(parts[1].from == 1030);
    CHECK(parts[1].to == 1060);
    CHECK(parts[2].from == 1060);
    CHECK(parts[2].to == 1100);
    CHECK(parts[0].entries.size() == 3);
    CHECK(parts[2].entries.size() == 1);
    CHECK(uncovered(1000, 1100, parts).empty());

    auto const empty = split_dedupe_chunk(chunk(50, 80), 3); // a range with no commandIds is still covered
    REQUIRE(empty.size() == 1);
    CHECK(empty[0].from == 50);
    CHECK(empty[0].to == 80);
}

TEST_CASE("dedupe chunk: a restore reads back only the events no chunk covers") {
    struct row {
        char const* name;
        std::int64_t from, to;
        std::vector<dedupe_chunk> chunks;
        gaps expected;
    };
    for (auto const& r : std::vector<row>{
             {"no chunks: everything", 0, 100, {}, {{0, 100}}},
             {"fully covered", 0, 100, {chunk(0, 40), chunk(40, 100)}, {}},
             {"a hand-over between rounds leaves a gap", 0, 100, {chunk(0, 40), chunk(55, 100)}, {{40, 55}}},
             {"the window starts inside a chunk", 30, 100, {chunk(0, 40), chunk(40, 90)}, {{90, 100}}},
             {"chunks out of order and overlapping", 0, 100, {chunk(60, 100), chunk(0, 50), chunk(45, 70)}, {}},
             {"older chunks than the window are ignored", 500, 600, {chunk(0, 100)}, {{500, 600}}},
             {"nothing to cover", 100, 100, {chunk(0, 40)}, {}},
         }) {
        CAPTURE(r.name);
        CHECK(uncovered(r.from, r.to, r.chunks) == r.expected);
    }
}

} // namespace dedupe_chunk_test
