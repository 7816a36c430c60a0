#pragma once

#include "engine/kafka/settings.hpp"
#include "engine/runtime/verify.hpp"

#include <filesystem>
#include <vector>

namespace salonq::engine::kafka {

// Kafka mode's verify: reads salonq.commands and salonq.events (read_committed) from the beginning and checks
// that every command message has exactly one outcome (an event, a recorded rejection or a command_invalid
// record; a repeated commandId has none of its own), every event sits on its salon's partition, every salon's
// seq is gapless from 1, and each worker state given (RocksDB dirs) that is as far as the log equals the fold
// of the salon's events (a cache behind the log is allowed: it catches up when it owns the partition again).
[[nodiscard]] std::expected<runtime::verify_report, error>
verify(kafka::settings const& s, std::vector<std::filesystem::path> const& worker_dirs);

} // namespace salonq::engine::kafka
