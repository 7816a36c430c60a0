#pragma once

#include "engine/logging/logger.hpp"

namespace salonq::projections::stats_store {

// The stats' logger (component "stats"): the store and its consumer write as one component.
[[nodiscard]] logging::logger const& stats_log();

} // namespace salonq::projections::stats_store
