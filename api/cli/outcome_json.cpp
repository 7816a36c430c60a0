#include "api/cli/outcome_json.hpp"

#include "engine/codec/event_codec.hpp"
#include "engine/codec/json_writer.hpp"

namespace salonq::api {

std::string outcome_json(std::size_t line, engine::runtime::outcome const& o) {
    engine::codec::json_writer w;
    w.begin_object()
        .field("line", static_cast<std::uint64_t>(line))
        .field("commandId", o.command.value())
        .field("salonId", o.salon.value())
        .field("status", o.accepted() ? "accepted" : "rejected")
        .field("duplicate", o.duplicate)
        .field("partition", o.partition.value())
        .field("offset", o.first_offset.value());
    w.key("entries").begin_array();
    for (auto const& e : o.entries) {
        w.raw(engine::codec::encode_entry(e));
    }
    w.end_array().end_object();
    return w.str();
}

std::string invalid_json(std::size_t line, engine::codec::error const& e) {
    engine::codec::json_writer w;
    w.begin_object().field("line", static_cast<std::uint64_t>(line)).field("status", "invalid");
    w.key("error")
        .begin_object()
        .field("code", engine::codec::to_string(e.code))
        .field("path", e.path)
        .field("message", e.message)
        .end_object();
    w.end_object();
    return w.str();
}

std::string failed_json(std::size_t line, engine::runtime::error const& e) {
    engine::codec::json_writer w;
    w.begin_object().field("line", static_cast<std::uint64_t>(line)).field("status", "failed");
    w.key("error")
        .begin_object()
        .field("code", engine::runtime::to_string(e.code))
        .field("message", e.message)
        .end_object();
    w.end_object();
    return w.str();
}

} // namespace salonq::api
