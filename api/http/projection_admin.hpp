#pragma once

// The port the admin routes rebuild projections through (api/serve's rebuilder in embedded mode).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace salonq::api::http {

// Where one projection's rebuild is.
struct rebuild_status {
    std::string name;      // "views", "stats", "loyalty"
    std::string directory; // the current generation's directory name
    std::string state;     // idle, running, done, failed
    std::uint64_t read = 0;
    std::uint64_t total = 0;
    std::optional<std::chrono::system_clock::time_point> started;
    std::optional<std::chrono::system_clock::time_point> finished;
    std::string error; // why the last one failed
};

class projection_admin {
public:
    enum class start_result : std::uint8_t { started, unknown, running };
    virtual ~projection_admin() = default;
    // Starts rebuilding the projection `name` in the background.
    [[nodiscard]] virtual start_result start_rebuild(std::string const& name) = 0;
    [[nodiscard]] virtual std::vector<rebuild_status> status() const = 0;
};

} // namespace salonq::api::http
