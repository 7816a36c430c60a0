#pragma once

#include "projections/queue/wait_estimator.hpp"

namespace salonq::projections {

// The measured predictor (issue 11; decision note docs/wait-prediction.md): a deterministic simulation of the
// salon's on-duty staff as parallel servers over the tickets in line, with durations from the salon's own
// history (view.observed) instead of the catalogue. Each staff member is free when their current ticket is
// expected to end (its services' observed means times their own speed, less what has elapsed; an overdue ticket
// is given a share of its expected duration more) plus the observed changeover; each waiting ticket, in line order,
// goes to whoever is free first and keeps them busy for its expected duration with that staff member, plus the
// changeover, discounted by the chance that it is still there when called (tickets cancel or do not show; the
// salon's leave rate by age in the queue, view.observed.leaving). A newcomer starts when the first staff member is free
// after the whole line. Nobody on duty means no estimate. Stateless: everything it knows is in the view, so it is safe
// to share between threads.
class observed_estimator final : public wait_estimator {
public:
    void estimate(queue_view& view) const override;
};

} // namespace salonq::projections
