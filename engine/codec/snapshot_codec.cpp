#include "engine/codec/snapshot_codec.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/codec/shared.hpp"

#include <fmt/format.h>

#include <limits>

namespace salonq::engine::codec {
namespace {

constexpr std::int64_t max_offset = std::numeric_limits<std::int64_t>::max();
// A round splits its commandIds into chunks of 2,000 (detail/round.cpp); older workers wrote the same size.
constexpr std::size_t max_chunk_entries = 100'000;

void read_type(object_view& o, std::string_view expected) {
    if (o.string("type", 32) != expected) {
        fail(errc::invalid_value, "type", fmt::format("expected {}", expected));
    }
    if (!o.has("v")) { // always written by the engine: a record without it is not one of ours
        fail(errc::missing_field, "v", "is required");
    }
    read_version(o);
}

salon_snapshot_record read_salon_snapshot(std::string_view json) {
    auto root = as_object(parse_document(json, limits::record), "");
    read_type(root, "salon_snapshot");
    salon_snapshot_record r;
    r.events_offset = root.integer("eventsOffset", 0, max_offset);
    r.state = read_state(root.object("state"));
    root.finish();
    return r;
}

dedupe_chunk_entry read_entry(simdjson::dom::element item, std::string const& path, std::int64_t from,
                              std::int64_t to) {
    simdjson::dom::array a;
    if (item.get_array().get(a) != simdjson::SUCCESS || a.size() != 5) {
        fail(errc::wrong_type, path, "expected [salonId, commandId, receivedAtMs, offset, count]");
    }
    dedupe_chunk_entry e;
    e.salon = salon_id{std::string{as_id(a.at(0).value_unsafe(), path + "[0]")}};
    e.command = command_id{std::string{as_id(a.at(1).value_unsafe(), path + "[1]")}};
    e.received_at = from_unix_ms(as_integer(a.at(2).value_unsafe(), path + "[2]", 0, max_offset));
    e.offset = as_integer(a.at(3).value_unsafe(), path + "[3]", from, to - 1);
    e.count = static_cast<std::uint32_t>(
        as_integer(a.at(4).value_unsafe(), path + "[4]", 0, std::numeric_limits<std::uint32_t>::max()));
    return e;
}

dedupe_chunk_record read_dedupe_chunk(std::string_view json) {
    auto root = as_object(parse_document(json, limits::record), "");
    read_type(root, "dedupe_chunk");
    dedupe_chunk_record c;
    c.from = root.integer("from", 0, max_offset);
    c.to = root.integer("to", c.from, max_offset);
    std::size_t i = 0;
    for (auto item : root.array("entries", max_chunk_entries)) {
        c.entries.push_back(read_entry(item, fmt::format("entries[{}]", i++), c.from, c.to));
    }
    root.finish();
    return c;
}

template <typename F>
[[nodiscard]] auto decoded(F&& read) -> std::expected<decltype(read()), error> {
    try {
        return read();
    } catch (decode_failure& f) {
        return std::unexpected(std::move(f.err));
    }
}

} // namespace

std::string encode_salon_snapshot(std::int64_t events_offset, std::string_view state_json) {
    return fmt::format(R"({{"type":"salon_snapshot","v":{},"eventsOffset":{},"state":{}}})", schema_version,
                       events_offset, state_json);
}

std::expected<salon_snapshot_record, error> decode_salon_snapshot(std::string_view json) {
    return decoded([&] { return read_salon_snapshot(json); });
}

std::string encode_dedupe_chunk(dedupe_chunk_record const& c) {
    json_writer w;
    w.begin_object().field("type", "dedupe_chunk").field("v", schema_version).field("from", c.from).field("to", c.to);
    w.key("entries").begin_array();
    for (auto const& e : c.entries) {
        w.begin_array()
            .string(e.salon.value())
            .string(e.command.value())
            .number(to_unix_ms(e.received_at))
            .number(e.offset)
            .number(e.count)
            .end_array();
    }
    w.end_array().end_object();
    return w.str();
}

std::expected<dedupe_chunk_record, error> decode_dedupe_chunk(std::string_view json) {
    return decoded([&] { return read_dedupe_chunk(json); });
}

} // namespace salonq::engine::codec
