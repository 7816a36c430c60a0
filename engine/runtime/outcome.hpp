#pragma once

#include "engine/domain/events.hpp"
#include "engine/runtime/errc.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace salonq::engine::runtime {

// What became of one command: its events, or the recorded rejection. A repeated commandId gets the original
// outcome back with `duplicate` set, and nothing new is appended.
struct outcome {
    command_id command;
    salon_id salon;
    bool duplicate = false;
    partition_id partition;
    offset_t first_offset;          // offset of the first entry in the events log
    std::vector<log_entry> entries; // events, or exactly one rejected_command

    [[nodiscard]] bool accepted() const noexcept {
        return !entries.empty() && std::holds_alternative<event>(entries.front());
    }
};

} // namespace salonq::engine::runtime
