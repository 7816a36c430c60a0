#pragma once

#include "engine/runtime/outcome.hpp"
#include "engine/store/rocks_store.hpp"

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace salonq::engine::runtime {

struct verify_report {
    std::uint64_t commands = 0; // records in the commands log
    std::uint64_t entries = 0;  // records in the events log (events + recorded rejections)
    std::uint64_t events = 0;
    std::uint64_t rejections = 0;
    std::uint64_t salons = 0;
    std::vector<std::string> problems; // empty when everything agrees

    [[nodiscard]] bool ok() const noexcept { return problems.empty(); }
};

// Re-folds every event of the embedded log from scratch and checks it against what is stored: each salon's
// seq is gapless from 1, every command has exactly one outcome (no commandId answered twice), the offsets in
// meta match the logs, and every stored state equals the fold of its salon's events up to the state's seq and
// holds every event below its partition's states offset (the states are a checkpoint of the log).
[[nodiscard]] std::expected<verify_report, error> verify(store::rocks_store const& db, std::int32_t partitions);

} // namespace salonq::engine::runtime
