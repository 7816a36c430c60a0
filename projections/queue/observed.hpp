#pragma once

#include "engine/domain/calendar.hpp"
#include "engine/domain/events.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace salonq::projections {

// Fixed-point scale of the ratios below: 10,000 is 1.0. Integers, so the statistics round-trip through the view's
// JSON bit for bit and a fold gives the same numbers on any machine.
inline constexpr std::int64_t ratio_one = 10'000;
// The pick-up is used by the estimator once it has this many samples (one early start says little).
inline constexpr std::uint32_t min_pickups = 5;

// A service's recency-weighted mean duration, learned from the tickets that had it.
struct service_pace {
    std::string code;
    std::int64_t mean_ms = 0;
    std::uint32_t count = 0; // observations so far (they set the weight of the next one)
    friend bool operator==(service_pace const&, service_pace const&) = default;
};

// A staff member's speed: their observed durations over the salon's service means (ratio_one = typical).
struct staff_pace {
    engine::staff_id staff;
    std::int64_t speed = ratio_one;
    std::uint32_t count = 0;
    // When they completed a ticket with others waiting, until they start the next one: measures the changeover.
    std::optional<engine::instant> freed_at;
    // Since when they have been idle with nobody waiting (their clock-in, or a completion with the line empty), until
    // their next start or clock-out: measures the pick-up.
    std::optional<engine::instant> idle_since;
    // Their usual shift: the recency-weighted salon-local time of day (minutes since midnight) of the first clock-in
    // and of the last clock-out of each business day they worked (a lunch break's clock-out and -in are neither), how
    // many such days were seen, and the business day of the last clock-in (0: never), so that the estimator can
    // expect them later today (or not: they already came today) and expect them to leave. A business day runs from
    // 04:00 local to 04:00 the next day, and the means are taken in minutes from 04:00, so that a shift ending after
    // midnight does not wrap (23:50 and 00:10 average to midnight, not noon).
    std::int32_t clock_in_min = 0;
    std::uint32_t clock_ins = 0;
    std::int32_t clock_out_min = 0;
    std::uint32_t clock_outs = 0;
    engine::local_day last_in_day = 0;
    // The latest clock-out of a business day not learned yet: it is the day's last when they next clock in on a later
    // business day, or when the day is closed with them off duty; and the business day of the last one learned.
    std::optional<engine::instant> out_pending;
    engine::local_day last_out_day = 0;
    // Per weekday (Monday first), the business days of that weekday in a row the salon opened and they did not come
    // in (at most absent_cap), counted at the salon's first clock-in of each later business day: from
    // day_off_after in a row, that weekday is their day off and they are not expected on it, until they come in
    // on one.
    std::array<std::uint8_t, 7> absent_in_row{};
    friend bool operator==(staff_pace const&, staff_pace const&) = default;
};
inline constexpr std::uint8_t absent_cap = 3;
inline constexpr std::uint8_t day_off_after = 2;

// How queued tickets leave without service (cancelled, no-show), by how long they had been in the queue: per age
// band, the leaves, the time tickets spent in the queue at that age (exposure) and how many reached that age
// (entered). leaves / exposure is the band's hazard: the chance per unit of time that a ticket of that age leaves;
// leaves / entered caps the chance of leaving within the band, so that a hazard seen over the seconds tickets
// spent in a band is not stretched over all of it. All decay a little with every outcome, so the salon's recent
// behaviour counts most.
struct leave_band {
    std::int64_t leaves = 0;      // in ratio_one units (decayed)
    std::int64_t exposure_ms = 0; // decayed alike
    std::int64_t entered = 0;     // in ratio_one units (decayed); 0 in a view stored before it was kept: no cap
    friend bool operator==(leave_band const&, leave_band const&) = default;
};
// When a salon usually stops starting services: the local minute of its last start of a day, as an upper envelope
// over the closed days seen (in business minutes: a later day moves it up at once, an earlier one only if the day
// ended with a line, and then a tenth of the way), and how many such days were seen.
struct usual_close {
    std::int32_t last_start_min = 0;
    std::uint32_t days = 0;
    friend bool operator==(usual_close const&, usual_close const&) = default;
};
// A usual close is used once it has been seen on this many closed days.
inline constexpr std::uint32_t close_days_seen = 2;
// A weekday's own close is used when it is this far or further from the salon's (in minutes): nearer, the salon's,
// learned on every day, is the better estimate of the same hour.
inline constexpr std::int32_t weekday_close_margin_min = 60;

// The upper edges of the age bands, in minutes (the last is open).
inline constexpr std::array<std::int64_t, 4> leave_band_edges_min{15, 30, 60, 120};
using leave_bands = std::array<leave_band, leave_band_edges_min.size() + 1>;

// What a salon's own history says about its pace, for the wait predictor: service durations per service and per
// staff member, each staff member's usual shift, the changeover between a completion and the next start, the
// pick-up of a walk-in by a free staff member, the usual last start of a day, and how queued tickets leave without
// service (cancelled or no-shows), by their age. Derived from events only (a started -> completed pair gives a
// duration) and updated by apply, so it is part of the view's state: it survives a restart with the stored view
// and a rebuild from the log gives the same numbers. Every mean is an exponentially weighted one whose weight is
// 1/(count + 2) until it reaches a floor: the first observations average with the catalogue prior (the changeover
// has no prior: 1/(count + 1)), later ones follow the salon's recent days.
struct observed_durations {
    std::vector<service_pace> services; // in the order first observed
    std::vector<staff_pace> staff;      // in the order first observed
    std::int64_t changeover_ms = 0;
    std::uint32_t changeovers = 0;
    // The pick-up: from when a walk-in and its staff member were both there, the one waiting and the other idle (the
    // later of its join and their idle_since), to its start: noticing, calling, walking to the chair. A running median
    // (steps of pickup_step_ms), robust to the odd slow start; the estimator uses it from min_pickups samples on.
    std::int64_t pickup_ms = 0;
    std::uint32_t pickups = 0;
    leave_bands leaving;
    // The salon's usual last start of a day, over all its days and per weekday (Monday first: a salon that closes
    // early on Saturdays), and the latest start of the day so far. The estimator's close (close_on): a start is told
    // as one before it, with the chance of that (predicted_start::today_pct).
    usual_close close;
    std::array<usual_close, 7> close_by_weekday{};
    std::optional<engine::instant> latest_start;
    friend bool operator==(observed_durations const&, observed_durations const&) = default;

    [[nodiscard]] service_pace const* find_service(std::string_view code) const noexcept;
    [[nodiscard]] staff_pace const* find_staff(engine::staff_id const& id) const noexcept;
    // The staff member's speed (ratio_one until they have been observed).
    [[nodiscard]] std::int64_t speed_of(engine::staff_id const& id) const noexcept;
    // The usual close of business day `day`: its weekday's once seen on close_days_seen days and at least
    // weekday_close_margin_min from the salon's (or the salon's not seen yet), else the salon's; none (nullptr)
    // before either has been seen on close_days_seen days.
    [[nodiscard]] usual_close const* close_on(engine::local_day day) const noexcept;
};

// What a completed service tells: the ticket's services (with the catalogue durations of the view as the prior of
// a service never seen), who served it and how long it took.
struct completed_service {
    std::vector<std::string> const& services;
    std::int32_t duration_min = 0; // the ticket's catalogue total: the prior of a service the catalogue lacks
    engine::staff_id const& staff;
    std::int64_t duration_ms = 0;
    engine::instant at{};
    bool others_waiting = false;
};

// The mean duration of one service: observed, else the catalogue's, else none.
[[nodiscard]] std::optional<std::int64_t>
service_mean_ms(observed_durations const& o, std::vector<engine::service_def> const& catalogue, std::string_view code);
// A ticket's expected duration with a typical staff member: the sum of its services' means (the ticket's own
// catalogue total where a service is unknown).
[[nodiscard]] std::int64_t base_duration_ms(observed_durations const& o,
                                            std::vector<engine::service_def> const& catalogue,
                                            std::vector<std::string> const& services, std::int32_t duration_min);

void observe_completion(observed_durations& o, std::vector<engine::service_def> const& catalogue,
                        completed_service const& c);
// A start by a staff member of a ticket that had waited `waited`: closes the changeover opened by their last
// completion, if any; adds the ticket's time in the queue to the exposure of the leave bands.
// A start by an idle staff member (staff_pace::idle_since) measures the pick-up: from the later of the join and
// their idle_since (a line formed before their clock-in is not 15 minutes of pick-up).
void observe_start(observed_durations& o, engine::staff_id const& staff, engine::instant at,
                   std::chrono::milliseconds waited);
// The business day of `t` (a local day that starts at 04:00) and the minutes since its start (0 to 1439).
[[nodiscard]] engine::local_clock business_clock_of(std::string_view timezone, engine::instant t) noexcept;
// A local time of day (minutes since midnight) in minutes since the start of a business day (04:00), and back.
[[nodiscard]] std::int32_t business_minute(std::int32_t local_minute) noexcept;
[[nodiscard]] std::int32_t local_minute(std::int32_t business_minute) noexcept;
// A staff member clocked in or out at `at`: learns their usual shift (the first clock-in of a business day, and
// its last clock-out: see staff_pace), and ends a pending changeover (the first start of a shift is not a
// changeover from the last completion of the previous one). The salon's first clock-in of a business day counts
// who did not work on its previous one (staff_pace::absent_in_row): neither clocked in nor out that day, and not
// on duty across it (`on_duty`: who was on duty before this event).
void observe_clock(observed_durations& o, engine::staff_id const& staff, bool in, engine::instant at,
                   std::string_view timezone, std::vector<engine::staff_id> const& on_duty);
// The line became empty at `at` (a start or a leave took its last ticket): a staff member still between a completion
// and their next start is idle from then, not in a changeover (the others took the line; the next walk-in's wait for
// them is a pick-up, and a gap until it is not a changeover).
void observe_line_empty(observed_durations& o, engine::instant at);
// A queued ticket that left without service (cancelled or a no-show) after `waited` in the queue.
void observe_left(observed_durations& o, std::chrono::milliseconds waited);
// The day was closed: its latest start (local) teaches the usual last start (a later one at once; an earlier one only
// if the day ended with a line still waiting, `line_left`: the salon stopped starting, the customers did not stop
// coming), and the pending clock-out of each staff member off duty (not in `on_duty`) is their day's last.
void observe_day_closed(observed_durations& o, std::string_view timezone, std::vector<engine::staff_id> const& on_duty,
                        bool line_left);
// A queued ticket still there when the queue ended (the day was closed): time in the queue, no leave.
void observe_stayed(observed_durations& o, std::chrono::milliseconds waited);
// The chance, of ratio_one, that a ticket aged `age` in the queue is still there `ahead` later (no leave on the way).
[[nodiscard]] std::int64_t stay_chance(leave_bands const& bands, std::chrono::milliseconds age,
                                       std::chrono::milliseconds ahead);

} // namespace salonq::projections
