#pragma once

#include "engine/logging/logger.hpp"

#include <string>

namespace salonq::engine::kafka::detail {

// The log of one worker: every line carries its instance; lines about a partition add it.
[[nodiscard]] inline logging::logger worker_log(std::string const& instance) {
    return logging::logger{"engine", {logging::kv("instance", instance)}};
}

} // namespace salonq::engine::kafka::detail
