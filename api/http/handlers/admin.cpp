#include "api/http/handlers/admin.hpp"

#include "api/http/error.hpp"
#include "api/http/projection_admin.hpp"
#include "api/http/services.hpp"
#include "engine/codec/json_writer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace salonq::api::http {
namespace {

std::string time_text(std::chrono::system_clock::time_point t) {
    return engine::codec::format_time(std::chrono::time_point_cast<std::chrono::milliseconds>(t));
}

void write_status(engine::codec::json_writer& w, rebuild_status const& s) {
    w.begin_object().field("name", s.name).field("directory", s.directory).field("state", s.state);
    w.field("read", static_cast<std::int64_t>(s.read)).field("total", static_cast<std::int64_t>(s.total));
    if (s.started) {
        w.field("startedAt", time_text(*s.started));
    }
    if (s.finished) {
        w.field("finishedAt", time_text(*s.finished));
    }
    if (!s.error.empty()) {
        w.field("error", s.error);
    }
    w.end_object();
}

std::string projections_json(projection_admin const& admin) {
    engine::codec::json_writer w;
    w.begin_object().key("projections").begin_array();
    for (auto const& s : admin.status()) {
        write_status(w, s);
    }
    w.end_array().end_object();
    return w.str();
}

// "views, stats, loyalty": the names GET /v1/admin/projections lists.
std::string projection_names(projection_admin const& admin) {
    std::vector<std::string> names;
    for (auto const& s : admin.status()) {
        names.push_back(s.name);
    }
    return fmt::format("{}", fmt::join(names, ", "));
}

// Both serve stacks (embedded and Kafka mode's api role) rebuild; a process wired without a rebuilder keeps none.
response not_here() {
    return error_response(status::service_unavailable, "not_ready", "this process keeps no projections to rebuild");
}

} // namespace

void get_projections(services& ports, request const& /*req*/, replier reply) {
    if (ports.projections == nullptr) {
        reply(not_here());
        return;
    }
    reply(json_response(status::ok, projections_json(*ports.projections)));
}

void post_projection_rebuild(services& ports, request const& req, replier reply) {
    if (ports.projections == nullptr) {
        reply(not_here());
        return;
    }
    auto const name = std::string{req.param("name")};
    switch (ports.projections->start_rebuild(name)) {
    case projection_admin::start_result::unknown:
        reply(error_response(
            status::not_found, "not_found",
            fmt::format("no projection named '{}' (one of {})", name, projection_names(*ports.projections)), "name"));
        return;
    case projection_admin::start_result::running:
        reply(error_response(status::conflict, "rebuild_running",
                             fmt::format("a rebuild of '{}' is under way: see GET /v1/admin/projections", name)));
        return;
    case projection_admin::start_result::started:
        break;
    }
    auto r = json_response(status::accepted, projections_json(*ports.projections));
    r.header("Location", "/v1/admin/projections");
    reply(std::move(r));
}

} // namespace salonq::api::http
