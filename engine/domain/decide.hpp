#pragma once

#include "engine/domain/commands.hpp"
#include "engine/domain/events.hpp"
#include "engine/domain/state.hpp"

#include <expected>
#include <vector>

namespace salonq::engine {

using decision = std::expected<std::vector<event>, rejection>;

// What a command does to a salon: the events it causes, or why it is refused. Pure and deterministic: the
// same state and command always give the same answer (time and the token seed come from the command).
[[nodiscard]] decision decide(salon_state const& state, command const& c);

// Applies one event to a salon's state. Events come from decide (or the log), so they are trusted: evolve
// never refuses, it only folds.
void evolve(salon_state& state, event const& e);

// A command's whole outcome, as the runtimes record it: decides, folds the accepted events into `state` and
// returns them, or returns the one rejected_command record (at the salon's current seq) and leaves `state`
// as it was.
[[nodiscard]] std::vector<log_entry> decide_and_apply(salon_state& state, command const& c);

// Convenience for folding a whole history.
[[nodiscard]] salon_state fold(salon_id const& id, std::vector<event> const& events);

} // namespace salonq::engine
