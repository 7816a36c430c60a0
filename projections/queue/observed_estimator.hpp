#pragma once

#include "projections/queue/wait_estimator.hpp"

namespace salonq::projections {

// The measured predictor (issue 11; decision note docs/wait-prediction.md): a deterministic simulation of the
// salon's on-duty staff as parallel servers over the tickets in line, with durations from the salon's own
// history (view.observed) instead of the catalogue, run 23 times with durations drawn around their means (a
// lognormal with 40 % spread, from a fixed table with draws seeded by the ticket's id); each estimate is the median
// of the runs, which is what minimises the absolute error of a skewed wait. In each run, each staff member is free
// when their current ticket ends (drawn among the durations longer than what has elapsed; an overdue ticket beyond
// them all is given a share of its mean more) plus the observed changeover; each waiting ticket, in line order,
// goes to whoever is free first and keeps them busy for its drawn duration with that staff member plus the
// changeover, unless it has left by then (tickets cancel or do not show: in as many runs as the salon's leave rate
// by age in the queue, view.observed.leaving, says), and no sooner than the salon's pick-up after its join. Staff
// usually due later today count as servers from then; one who usually leaves before the others takes no ticket
// after that. A newcomer starts when the first staff member is free after the whole line. Nobody on duty means no
// estimate. Walk-ins in a row are placed after the line's schedule as it stood (estimate_basis), not run over the
// whole line again. Stateless: everything it knows is in the view (its schedule cache is rebuilt from the view when
// missing), so it is safe to share between threads, and the same view always gives the same estimates.
class observed_estimator final : public wait_estimator {
public:
    void estimate(queue_view& view) const override;
    void estimate_walk_in(queue_view& view, std::optional<engine::instant> chained) const override;
};

} // namespace salonq::projections
