#pragma once

#include "projections/queue/queue_view.hpp"

#include <optional>

namespace salonq::projections {

// Fills in the predicted starts of a queue view: every waiting ticket's `expected` and the view's `join_now`, as
// of view.updated_at, or none where it cannot say. The one place a prediction is made, so a better predictor is a
// new implementation (issue 11), not a change to the fold.
//
// An implementation must be deterministic (the estimates are part of the view's JSON, cached and tagged by seq)
// and safe to call from several threads at once: queue_views calls it from each thread that applies a partition.
class wait_estimator {
public:
    virtual ~wait_estimator() = default;
    virtual void estimate(queue_view& view) const = 0;
    // The estimates right after a walk-in (apply_and_record_join), which has moved view.basis on: `chained` is the
    // time of the walk-in before it when this one continues their chain (estimate_basis). The same as estimate()
    // unless an implementation places a chain's walk-ins after the last (observed_estimator).
    virtual void estimate_walk_in(queue_view& view, std::optional<engine::instant> chained) const {
        (void)chained;
        estimate(view);
    }
};

// The interim formula: a list schedule over the staff on duty. Each on-duty staff member is free at the expected
// end of the ticket they serve (or now, if it is overdue or they serve none); each waiting ticket, in line order,
// starts when the earliest of them is free and keeps that one busy for its duration. A newcomer starts after the
// whole line. With nobody on duty there is no estimate at all, rather than a made-up number. It assumes the
// services take their catalogue durations and that the line is served in order (a priority start or a skip can
// only make a ticket's wait shorter).
class list_schedule_estimator final : public wait_estimator {
public:
    void estimate(queue_view& view) const override;
};

// apply(), and for a ticket_issued the estimator's prediction for that ticket right after it, kept on the ticket
// (join_wait): what its walk-in was told, the same wherever and however often the events are folded (the
// runtime's fold, queue_views, uses it). Pure, like apply.
void apply_and_record_join(queue_view& view, engine::event const& e, wait_estimator const& estimator);

} // namespace salonq::projections
