#pragma once

#include "engine/log/log.hpp"
#include "replay/run/progress.hpp"
#include "replay/select/selection.hpp"
#include "replay/write/sink.hpp"

#include <cstdint>
#include <expected>
#include <string>

namespace salonq::replay {

struct scan_result {
    std::uint64_t read = 0;        // entries read from the log
    std::uint64_t written = 0;     // entries handed to the sink
    std::uint64_t undecodable = 0; // entries skipped because they did not decode (named on stderr, first few)
};

// The end offsets a replay stops at: each selected partition's end as the replay starts, or the range's end if
// it comes first. Entries appended meanwhile are not read, so a replay of a running log ends.
struct planned_range {
    std::int32_t partition = 0;
    std::int64_t from = 0;
    std::int64_t to = 0; // exclusive
};
struct scan_plan {
    std::vector<planned_range> ranges; // in partition order
    [[nodiscard]] std::uint64_t total() const;
};
[[nodiscard]] std::expected<scan_plan, std::string> plan_scan(engine::log::reader& log, selection const& s);

// Reads the planned partitions in order (each in offset order: a salon's entries in seq order), keeps what the
// selection wants and hands it to the sink, decoding an entry only if the sink needs it. Reads only: it joins no
// consumer group and commits nothing.
[[nodiscard]] std::expected<scan_result, std::string> scan(engine::log::reader& log, scan_plan const& plan,
                                                           selection const& s, sink& out, progress& shown);

} // namespace salonq::replay
