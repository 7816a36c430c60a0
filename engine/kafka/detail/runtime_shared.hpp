#pragma once

// What the Kafka worker shares with the embedded engine (engine/runtime): the state cache and the dedupe index in
// its RocksDB. Those helpers report runtime errors; in Kafka mode each comes from the worker's local store.

#include "engine/kafka/errc.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"
#include "engine/runtime/dedupe.hpp"
#include "engine/runtime/state_checkpoint.hpp"
#include "engine/runtime/stored.hpp"

namespace salonq::engine::kafka {

using runtime::checkpoint_sweep;
using runtime::dedupe_entry;
using runtime::encoded_states;
using runtime::fold_into;
using runtime::load_state;
using runtime::recent_outcome;
using runtime::state_cache;

namespace detail {

// A runtime helper's error as the worker's: a state that does not decode is a corrupt record, anything else a
// failure of the local store.
[[nodiscard]] inline error from_runtime(runtime::error const& e) {
    return error{e.code == runtime::errc::corrupt_record ? errc::corrupt_record : errc::local_store, e.message};
}

} // namespace detail
} // namespace salonq::engine::kafka
