#pragma once

// The stats fold with the queue view's predictor beside it, so each visit keeps the wait its walk-in was told at
// join time (docs/stats.md, "Prediction accuracy").

#include "engine/domain/events.hpp"
#include "projections/queue/join_board.hpp"
#include "projections/queue/queue_view.hpp"
#include "projections/stats/history.hpp"

#include <cstdint>
#include <optional>

namespace salonq::projections::stats_store {

// What the old system would have told a newcomer: the catalogue durations of everyone waiting ahead of it plus what
// remains of those in service (bench/wait_scoring.hpp's "old: sum ahead"); none for a ticket not waiting in the view.
[[nodiscard]] std::optional<std::int64_t> sum_ahead_ms(queue_view const& view, engine::ticket_id ticket);

// Folds one event of the salon into its history and into `view` (apply_and_record_join with the queue views'
// predictor, observed_estimator), and for a ticket_issued records on the visit the view's join-time estimate and
// the old estimator's. Deterministic like both folds: the same events give the same estimates as the queue views
// gave the walk-ins. With `told`, a join-time estimate the queue views posted there is taken instead of running
// the predictor again (the same number when both views were folded from the same events by the same code;
// otherwise the views' one, which the walk-in was told). The view keeps no per-ticket estimates either way (the
// predictor writes them, nothing here reads them); its recently ended tickets are dropped (the predictor never
// reads them).
void apply_with_estimates(stats::salon_history& history, queue_view& view, engine::event const& e,
                          join_board* told = nullptr);

} // namespace salonq::projections::stats_store
