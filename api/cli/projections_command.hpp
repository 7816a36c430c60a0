#pragma once

#include "api/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace salonq::api {

struct projections_options {
    std::string name = "views";
    bool quiet = false;
};

// `salonq projections rebuild [NAME]`: rebuilds a projection (views, stats or loyalty: api/serve/rebuild_targets)
// from the whole events log into a fresh generation and makes it current (engine::runtime::rebuild), with replay's
// progress output. From the embedded log in --data, or with --brokers (Kafka mode) an api instance's store in its
// --data from salonq.events (engine::kafka::topic_log_reader, as a running instance's rebuilds read it); each refuses
// the other's directory (--brokers on an embedded engine's log, none on an api instance's stores). Offline (no
// serve on the data directory); a running serve rebuilds without downtime through
// POST /v1/admin/projections/{name}/rebuild, which this command points to when the store is taken.
CLI::App* add_projections_command(CLI::App& app, projections_options& po);
[[nodiscard]] int run_projections_rebuild(store_options const& so, kafka_options const& ko,
                                          projections_options const& po);

} // namespace salonq::api
