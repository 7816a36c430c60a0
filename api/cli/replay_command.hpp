#pragma once

#include "api/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace salonq::api {

// salonq replay: the events log for analysts, as JSON lines or CSV (replay/ does the work).
struct replay_options {
    std::vector<std::string> salons;
    std::vector<std::string> types;
    bool include_rejections = false;
    std::optional<std::string> from;
    std::optional<std::string> to;
    std::vector<std::string> from_offsets;
    std::vector<std::string> to_offsets;
    std::string format = "jsonl";
    bool format_given = false;
    std::optional<std::string> report;     // daily, hourly, staff, services, priority-audit, waits
    std::optional<double> target_wait_min; // --report staffing: the p90 wait to keep within (default 15)
    std::optional<std::string> output;     // default stdout
    bool quiet = false;
};

CLI::App* add_replay_command(CLI::App& app, replay_options& ro);
// With kafka options' brokers set, reads salonq.events of that cluster instead of the embedded log.
int run_replay(store_options const& so, kafka_options const& ko, replay_options const& ro);

} // namespace salonq::api
