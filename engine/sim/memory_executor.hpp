#pragma once

#include "engine/domain/state.hpp"
#include "engine/sim/day_simulator.hpp"

#include <string>
#include <unordered_map>

namespace salonq::engine::sim {

// Executes commands with the pure domain only (decide + evolve over in-memory states): for dry runs that
// emit a command stream, and for measuring the domain's own speed.
class memory_executor {
public:
    std::vector<std::vector<log_entry>> operator()(std::vector<command> const& batch);
    [[nodiscard]] std::unordered_map<std::string, salon_state> const& states() const noexcept { return states_; }

private:
    std::unordered_map<std::string, salon_state> states_;
};

} // namespace salonq::engine::sim
