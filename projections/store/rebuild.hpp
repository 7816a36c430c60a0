#pragma once

#include "engine/log/log.hpp"
#include "projections/store/generations.hpp"
#include "projections/store/queue_views.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

namespace salonq::projections {

// How far a rebuild is: records of the events log read so far, of `total` (the log's length when it began).
struct rebuild_progress {
    std::uint64_t read = 0;
    std::uint64_t total = 0;
};
// Told after each chunk; false stops the rebuild (errc::cancelled; the live views serve on as they were).
using rebuild_observer = std::function<bool(rebuild_progress const&)>;

// Rebuilds the queue views `live` (opened from gens.current()) from the whole events log without stopping them: they
// catch up to the log's end, a fresh store in gens.next() folds the log from offset 0 to that end with a fresh
// estimator, is swapped in (queue_views::adopt)
// and made current; the old generation is then closed and removed. `live` keeps serving throughout, its readers
// and subscribers untouched. Why rebuild: a new version of the views' code (a better predictor), or a salon
// broken by a gap. On failure `live` serves on as before and the half-built generation is removed.
[[nodiscard]] std::expected<void, error> rebuild_views(queue_views& live, generations const& gens,
                                                       engine::log::reader& events,
                                                       std::unique_ptr<wait_estimator> estimator,
                                                       rebuild_observer const& observe = {});

} // namespace salonq::projections
