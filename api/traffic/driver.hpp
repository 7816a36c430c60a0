#pragma once

#include "api/traffic/http_client.hpp"
#include "api/traffic/salon_api.hpp"
#include "api/traffic/token_minter.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace salonq::api::traffic {

struct driver_options {
    endpoint server;
    std::vector<std::string> salons{"demo", "north", "riverside"};
    // Simulated seconds per real second: 120 plays a salon hour in 30 s.
    double speed = 120;
    std::optional<std::chrono::milliseconds> duration; // none: until stopped
    std::uint64_t seed = 1;
    // How busy the stylists on duty are kept (offered load): near 1 a line of a few people forms.
    double utilisation = 0.85;
    // Real time between two rounds of a salon (read the queue, act on it).
    std::chrono::milliseconds round{250};
};

// Drives salons through the HTTP API like the people of a salon would: sets up the missing ones, then in rounds
// reads each salon's queue view and acts on it (walk-ins, starts, completions, skips, undo-skips, cancels, priority
// starts, breaks), on a simulated clock `speed` times faster than real time (docs/demo.md has the model and why).
// The view is the truth each round, so a second run, a restarted server or another client's commands are simply
// part of the state it acts on. Single-threaded; run() returns when `stop` is set or the duration is over.
class driver {
public:
    driver(driver_options options, token_minter& tokens, std::atomic<bool> const& stop, std::ostream& out);
    ~driver();
    driver(driver const&) = delete;
    driver& operator=(driver const&) = delete;

    // 0 when the run ended as asked; 1 when the server refused the driver's tokens or never answered the setup.
    [[nodiscard]] int run();
    [[nodiscard]] traffic_counts const& counts() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::api::traffic
