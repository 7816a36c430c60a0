#include "engine/codec/invalid_codec.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/codec/shared.hpp"

#include <fmt/format.h>

#include <limits>

namespace salonq::engine::codec {
namespace {

constexpr std::size_t max_path = 256; // a field path names at most a few nested fields and an index

command_invalid read_command_invalid(std::string_view json) {
    auto root = as_object(parse_document(json, limits::record), "");
    if (root.string("type", 32) != "command_invalid") {
        fail(errc::invalid_value, "type", "expected command_invalid");
    }
    read_version(root);
    command_invalid r;
    r.commands_partition =
        static_cast<std::int32_t>(root.integer("commandsPartition", 0, std::numeric_limits<std::int32_t>::max()));
    r.commands_offset = root.integer("commandsOffset", 0, std::numeric_limits<std::int64_t>::max());
    if (auto id = root.opt_id("commandId")) {
        r.command = command_id{std::string{*id}};
    }
    if (auto id = root.opt_id("salonId")) {
        r.salon = salon_id{std::string{*id}};
    }
    r.at = root.time("at");
    auto p = root.object("payload");
    auto const code = parse_errc(p.string("code", 32));
    if (!code) {
        fail(errc::invalid_value, p.path_of("code"), "not an error code");
    }
    r.why = error{*code, std::string{p.string("path", max_path)}, std::string{p.string("message", limits::text)}};
    p.finish();
    root.finish();
    return r;
}

// An error's path and message quote the message's own field names, which may be long or hold control characters
// (escaped in the JSON): bounded and cleaned so that the record reads back.
std::string readable(std::string_view text, std::size_t max_len) {
    std::string out;
    for (char ch : text) {
        out.push_back(static_cast<unsigned char>(ch) < 0x20 ? '?' : ch);
    }
    if (out.size() > max_len) {
        auto cut = max_len - 3;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0U) == 0x80U) {
            --cut; // not inside a UTF-8 sequence
        }
        out.resize(cut);
        out += "...";
    }
    return out;
}

std::optional<std::string> valid_id(simdjson::dom::element e) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    try {
        return std::string{as_id(e, "")};
    } catch (decode_failure const&) {
        return std::nullopt;
    }
}

} // namespace

std::string encode_command_invalid(command_invalid const& r) {
    json_writer w;
    w.begin_object().field("type", "command_invalid").field("v", schema_version);
    w.field("commandsPartition", std::int64_t{r.commands_partition}).field("commandsOffset", r.commands_offset);
    if (r.command) {
        w.field("commandId", r.command->value());
    }
    if (r.salon) {
        w.field("salonId", r.salon->value());
    }
    w.key("at").time(r.at);
    w.key("payload")
        .begin_object()
        .field("code", to_string(r.why.code))
        .field("path", readable(r.why.path, max_path))
        .field("message", readable(r.why.message, limits::text))
        .end_object();
    w.end_object();
    return w.str();
}

std::expected<command_invalid, error> decode_command_invalid(std::string_view json) {
    try {
        return read_command_invalid(json);
    } catch (decode_failure& f) {
        return std::unexpected(std::move(f.err));
    }
}

message_ids peek_ids(std::string_view json) noexcept {
    message_ids ids;
    try {
        auto const root = parse_document(json, limits::message);
        simdjson::dom::object o;
        if (root.get_object().get(o) != simdjson::SUCCESS) {
            return ids;
        }
        simdjson::dom::element e;
        if (o.at_key("commandId").get(e) == simdjson::SUCCESS) {
            if (auto id = valid_id(e)) {
                ids.command = command_id{std::move(*id)};
            }
        }
        if (o.at_key("salonId").get(e) == simdjson::SUCCESS) {
            if (auto id = valid_id(e)) {
                ids.salon = salon_id{std::move(*id)};
            }
        }
    } catch (...) {
        return ids; // a message that does not parse carries no (further) ids
    }
    return ids;
}

} // namespace salonq::engine::codec
