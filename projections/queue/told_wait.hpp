#pragma once

#include <cstdint>

namespace salonq::projections {

// What a walk-in was told when its ticket was issued: the estimated wait and its likely range, in ms from the join.
// Kept with the ticket in the queue view, answered to the walk-in's POST (the same on a retry), and handed to the
// stats (join_board), which score it against the actual wait.
struct told_wait {
    std::int64_t wait_ms = 0;
    std::int64_t low_ms = 0;
    std::int64_t high_ms = 0;
    std::int32_t today_pct = 100; // the chance told of a start before the salon's usual last start (predicted_start)
    friend bool operator==(told_wait const&, told_wait const&) = default;
};

} // namespace salonq::projections
