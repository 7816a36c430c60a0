#pragma once

#include "api/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace salonq::api {

struct traffic_options {
    std::string url = "http://127.0.0.1:8080";
    std::vector<std::string> salons{"demo", "north", "riverside"};
    double speed = 120;
    double duration_s = 0; // 0: until Ctrl-C
    std::uint64_t seed = 1;
    double utilisation = 0.85;
    std::optional<std::filesystem::path> keyring;
};

// `salonq traffic`: simulated salon traffic against a running server over its HTTP API (api/traffic/), the living
// demo of ops/run.sh. Tokens are signed with the keyring of --data (the server's data directory).
CLI::App* add_traffic_command(CLI::App& app, traffic_options& to);
[[nodiscard]] int run_traffic(store_options const& so, traffic_options const& to);

} // namespace salonq::api
