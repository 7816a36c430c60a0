#pragma once

#include "engine/domain/strong.hpp"
#include "projections/queue/told_wait.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace salonq::projections {

// The wait each walk-in was told at join, handed from the queue views' fold to the stats' fold of the same process.
// Both run the same predictor (observed_estimator) over the same view for every ticket_issued: the views to tell
// the walk-in, the stats to keep what it was told beside its actual wait (docs/stats.md, "Prediction accuracy"). The
// stats' run was ~10 % of serve's CPU at the walk-in maximum, for a number the views had just worked out. The views
// post it under the event's salon and seq; the stats take it, and work it out themselves when it is not there (they
// read the event first, a rebuild, an entry pushed out). A salon's seq names one event for good, so an entry is
// never another event's. Bounded: past `capacity` entries the oldest go. Thread-safe.
class join_board {
public:
    using told = std::optional<told_wait>; // none: no estimate (nobody on duty)

    explicit join_board(std::size_t capacity = std::size_t{1} << 16) : capacity_(capacity) {}

    void post(engine::salon_id const& salon, std::uint64_t seq, told wait);
    // The estimate posted for the salon's event `seq`, removed from the board; none if it was not posted (or went).
    [[nodiscard]] std::optional<told> take(engine::salon_id const& salon, std::uint64_t seq);

    // Estimates taken so far (for tests and a metric).
    [[nodiscard]] std::uint64_t taken() const noexcept { return taken_.load(std::memory_order_relaxed); }

private:
    using key = std::pair<std::string, std::uint64_t>;

    std::size_t capacity_;
    std::mutex mutex_;
    std::map<key, told> entries_; // under mutex_
    std::deque<key> order_;       // under mutex_: posted keys, oldest first (taken ones too, until pushed out)
    std::atomic<std::uint64_t> taken_{0};
};

} // namespace salonq::projections
