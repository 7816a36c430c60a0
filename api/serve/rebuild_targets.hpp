#pragma once

#include "engine/runtime/rebuild.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::api {

// One projection that can be rebuilt from the events log while it serves (engine::runtime::rebuild): its name (also
// its directory's in the data directory, and the {name} of POST /v1/admin/projections/{name}/rebuild), what the log
// and the command line call it, and how to open its store at a directory, as `salonq serve` opens it.
struct rebuild_target {
    std::string_view name;
    std::string_view what;
    engine::runtime::store_opener open;
};

// The queue views (views), the stats (stats) and the loyalty ledger (loyalty), in that order, for an events log of
// partition_count partitions; the views with their outcome index when index_outcomes (Kafka mode's api role). The
// one list the command line, the server and their help texts take the names from.
[[nodiscard]] std::vector<rebuild_target> rebuild_targets(std::int32_t partition_count, bool index_outcomes = false);
[[nodiscard]] std::optional<rebuild_target> rebuild_target_named(std::string_view name, std::int32_t partition_count,
                                                                 bool index_outcomes = false);
// The names, in order: "views", "stats", "loyalty".
[[nodiscard]] std::vector<std::string> rebuild_target_names();

} // namespace salonq::api
