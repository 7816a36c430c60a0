#pragma once

#include "engine/domain/calendar.hpp"
#include "engine/domain/events.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace salonq::projections::stats {

// How a ticket's visit ended (so far).
enum class visit_end : std::uint8_t { waiting, serving, served, cancelled, no_show };
[[nodiscard]] std::string_view to_string(visit_end e) noexcept;

// One walk-in's visit, as the events tell it: when it joined (the salon's local day and time), how long it waited,
// who served it and for how long, what it paid, how it ended.
struct visit {
    engine::ticket_id ticket;
    std::string token;
    std::vector<std::string> services;
    std::int32_t planned_min = 0;
    engine::instant joined{};
    engine::local_clock joined_local; // the day and time of day in the salon's zone
    std::uint32_t position_at_join = 0;
    std::optional<engine::instant> started;
    std::optional<std::int64_t> waited_ms;
    std::optional<engine::staff_id> staff;
    std::optional<engine::priority_reason> priority;
    std::optional<std::int64_t> service_ms;
    std::int64_t amount_cents = 0;
    std::uint32_t skips = 0;
    visit_end end = visit_end::waiting;
    // What the walk-in was told at join time (the queue view's predictor, docs/wait-prediction.md) and what the old
    // system's sum of the durations ahead would have said; none where the predictor had no estimate (nobody on
    // duty) or the fold that made the visit ran no predictor (salonq replay's). Set by record_join_estimate.
    std::optional<std::int64_t> estimated_wait_ms;
    std::optional<std::int64_t> sum_ahead_wait_ms;
    // The likely range told with the estimate (none in a store folded before ranges were kept).
    std::optional<std::int64_t> estimated_low_ms;
    std::optional<std::int64_t> estimated_high_ms;
    // The chance told of a start before the salon's usual close, in percent (servedTodayPct; none in a store
    // folded before it was kept).
    std::optional<std::int32_t> told_today_pct;
};

// One staff member's day: time on duty (clock-in to clock-out, cut at the salon's local midnights) and work.
struct staff_day {
    std::int64_t on_duty_ms = 0;
    std::int64_t busy_ms = 0; // the durations of the services they completed
    std::uint32_t served = 0;
    std::int64_t revenue_cents = 0;
};

// What happened on one local day of one salon that is not a visit's own record.
struct day_counts {
    std::uint32_t skips = 0;
    std::uint32_t undo_skips = 0;
    std::uint32_t no_shows = 0;
    std::map<std::string, staff_day> staff; // by staffId
    // Every staff member's time on duty in each local hour (cut at the salon's local hours; the staffing demand's
    // observed staff). A clock change's repeated hour adds to the hour it repeats.
    std::array<std::int64_t, 24> on_duty_ms_by_hour{};
};

// One staff member's time on duty, clock-in to clock-out (for when in the week people work).
struct shift {
    std::string staff;
    engine::instant from{};
    engine::instant until{};
};

// One priority start, for the audit.
struct priority_record {
    engine::instant at{};
    engine::local_day day = 0;
    engine::ticket_id ticket;
    engine::staff_id staff;
    engine::priority_reason reason = engine::priority_reason::system_exception;
    std::string ordered_by;
    engine::role ordered_by_role = engine::role::manager;
    std::uint32_t position_before = 0;
    std::int32_t used_today = 0;
    std::int32_t daily_limit = 0;
    std::int64_t waited_ms = 0;
};

// What the fold carries from one event to the next besides the visits and days: the salon's zone, its priority
// limit and who is on duty since when. A store that keeps a history in parts saves it beside the open visits.
struct fold_state {
    std::string timezone = "UTC";
    std::int32_t priority_limit = 0;
    std::map<std::string, engine::instant> on_duty_since; // by staffId
    std::optional<engine::instant> last_event_at;         // the latest event's time so far
};

// A salon's history folded from its events (in seq order), the ground every stats figure and report is computed
// from: its visits by ticket, its days' counts, its priority starts. A pure fold, like evolve: no clock, no I/O;
// the salon's time zone (from salon_registered) places each event on the salon's local day.
// What a walk-in was told when it joined (the queue view's estimate and its likely range: none where nobody was on
// duty) and what the old system's sum of the durations ahead would have said. Milliseconds from the join.
struct join_estimate {
    std::optional<std::int64_t> wait_ms;
    std::optional<std::int64_t> low_ms;
    std::optional<std::int64_t> high_ms;
    std::optional<std::int64_t> sum_ahead_ms;
    std::optional<std::int32_t> today_pct;
};

class salon_history {
public:
    explicit salon_history(engine::salon_id salon) : salon_(std::move(salon)) {}
    // A history restored from its parts (a store's), folding on from where they were taken.
    salon_history(engine::salon_id salon, fold_state state, std::map<std::uint64_t, visit> visits,
                  std::map<engine::local_day, day_counts> days);

    void apply(engine::event const& e);
    // The estimates a walk-in got when it joined, from a fold that runs the queue view's predictor beside this one
    // (the stats store's); nothing for a ticket the history does not hold.
    void record_join_estimate(engine::ticket_id ticket, join_estimate const& told);

    [[nodiscard]] engine::salon_id const& salon() const noexcept { return salon_; }
    [[nodiscard]] std::string const& timezone() const noexcept { return timezone_; }
    [[nodiscard]] std::map<std::uint64_t, visit> const& visits() const noexcept { return visits_; }
    [[nodiscard]] std::map<engine::local_day, day_counts> const& days() const noexcept { return days_; }
    [[nodiscard]] std::vector<priority_record> const& priority_starts() const noexcept { return priority_; }
    [[nodiscard]] fold_state state() const;

    // Takes the visits that ended (served, cancelled, no-show: no later event changes them) out of the history,
    // and forgets the priority starts and ended shifts, for a store that keeps them elsewhere. What remains is what is
    // still open.
    [[nodiscard]] std::vector<visit> retire_ended();
    [[nodiscard]] std::vector<shift> const& shifts() const noexcept { return shifts_; } // ended ones, in order

    // Counts every shift still open as worked until the salon's latest event and ends it there: for a history that
    // answers one question (a query's copy, a replay's end), so that today's on-duty time is there before anyone
    // clocks out (without it a day's utilisation was none until the first clock-out, then every staff member's busy
    // time over that one shift). As of the latest event, not of a clock: the answer is a function of the events, the
    // same from GET .../stats and from a replay of the log. Not for a history that folds on: the shifts are closed.
    void close_open_shifts();

private:
    struct folder;
    void clock_out(std::string const& staff, engine::instant at);
    // A shift's on-duty time, into the local days and hours it spans.
    void credit_shift(std::string const& staff, engine::instant from, engine::instant until);

    engine::salon_id salon_;
    std::string timezone_ = "UTC";
    std::int32_t priority_limit_ = 0;
    std::map<std::uint64_t, visit> visits_;
    std::map<engine::local_day, day_counts> days_;
    std::vector<priority_record> priority_;
    std::vector<shift> shifts_;
    std::map<std::string, engine::instant> on_duty_since_; // staff clocked in now
    std::optional<engine::instant> last_event_at_;
};

} // namespace salonq::projections::stats
