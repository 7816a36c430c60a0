#pragma once

#include "engine/kafka/settings.hpp"
#include "replay/run/progress.hpp"
#include "replay/run/scan.hpp"
#include "replay/select/selection.hpp"
#include "replay/write/sink.hpp"

#include <expected>
#include <string>

namespace salonq::replay {

// The selection's partitions of salonq.events in a Kafka cluster, each from its range's start to its end (or the
// last stable offset as the replay starts), read_committed, partition by partition in offset order, handed to the
// sink as scan() does. Joins no consumer group and commits nothing: it cannot disturb the engine workers.
// The partition count comes from the cluster (selection_builder::build is given it).
[[nodiscard]] std::expected<std::int32_t, std::string> events_partitions(engine::kafka::settings const& s);
[[nodiscard]] std::expected<scan_result, std::string> scan_kafka(engine::kafka::settings const& s,
                                                                 selection const& chosen, sink& out, progress& shown);

} // namespace salonq::replay
