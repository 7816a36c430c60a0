#pragma once

#include "projections/stats/history.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace salonq::projections::stats {

// Nearest-rank percentiles (the smallest value with at least p of the values at or below it): exact values that a
// person can check by hand, none for no values.
struct percentiles {
    std::optional<std::int64_t> p50;
    std::optional<std::int64_t> p90;
};
[[nodiscard]] percentiles percentiles_of(std::vector<std::int64_t> values);

// How far one estimator's join-time estimates were from the actual waits (estimate - actual), in ms rounded to
// the nearest: the mean of the absolute errors, their nearest-rank p90, the mean signed error (positive: customers
// were told longer than they waited). None without scored visits.
struct estimate_errors {
    std::optional<std::int64_t> mean_abs_ms;
    std::optional<std::int64_t> p90_abs_ms;
    std::optional<std::int64_t> bias_ms;
};

// The wait prediction's accuracy over the visits of a day that started service: the estimate the queue view's
// predictor gave at join time against the actual wait, and the old system's sum of durations ahead on the same
// visits. A started visit without an estimate (nobody on duty when it joined) is counted apart.
struct prediction_accuracy {
    std::uint32_t scored = 0;
    std::uint32_t unscored = 0;
    // Of the scored visits told a likely range (all but those folded before ranges were kept), how many started
    // within it, before it and after it.
    std::uint32_t in_range = 0;
    std::uint32_t before_range = 0;
    std::uint32_t after_range = 0;
    estimate_errors predictor;
    estimate_errors sum_ahead;
    // The walk-ins still waiting, never called, when the day was closed (sent home), whether or not they were told
    // an estimate (nobody on duty: none); and how many of them had been told a start today with no doubt (100 %: no
    // "may not be today" on their ticket or their POST's answer).
    std::uint32_t sent_home = 0;
    std::uint32_t sent_home_told_today = 0;
};
[[nodiscard]] estimate_errors errors_of(std::vector<std::int64_t> const& signed_errors_ms);

// One local day of one salon. Visits count on the day they joined; staff time on the day it was worked.
struct day_summary {
    engine::local_day day = 0;
    std::uint32_t walk_ins = 0;
    std::uint32_t served = 0;
    std::uint32_t cancelled = 0;
    std::uint32_t no_shows = 0;
    std::uint32_t open = 0; // still waiting or in service when the history ends
    std::uint32_t skips = 0;
    std::uint32_t undo_skips = 0;
    std::array<std::uint32_t, 4> priority_by_reason{}; // by engine::priority_reason
    percentiles wait_ms;                               // of the day's visits that started
    percentiles service_ms;                            // of the day's visits that were served
    std::int64_t revenue_cents = 0;
    std::int64_t on_duty_ms = 0; // every staff member's
    std::int64_t busy_ms = 0;
    std::array<std::uint32_t, 24> arrivals_by_hour{}; // local hour of joining
    std::array<percentiles, 24> wait_ms_by_hour{};    // of the visits that joined in that hour and started
    prediction_accuracy prediction;
    [[nodiscard]] std::uint32_t priority_starts() const noexcept;
    [[nodiscard]] std::optional<double> utilisation() const noexcept; // busy / on duty
};

struct staff_summary {
    engine::local_day day = 0;
    std::string staff;
    staff_day work;
    percentiles service_ms;
    [[nodiscard]] std::optional<double> utilisation() const noexcept;
};

// Service durations by what was asked for: a single service's code, or a combination (combination_of: the same
// services in any order are one).
struct service_summary {
    engine::local_day day = 0;
    std::string services;
    std::uint32_t served = 0;
    std::int32_t planned_min = 0;
    percentiles service_ms;
};

// The salon's days in order, from its first to its last with anything in it.
[[nodiscard]] std::vector<day_summary> summarize_days(salon_history const& h);
[[nodiscard]] std::vector<staff_summary> summarize_staff(salon_history const& h);
[[nodiscard]] std::vector<service_summary> summarize_services(salon_history const& h);
// Service codes as one text, in the order asked: "HC", or "HC+BT" for a combination.
[[nodiscard]] std::string joined_codes(std::vector<std::string> const& services);
// The same, in code order: one text for the same services asked in any order ("BT+HC" for HC and BT, or BT and HC).
[[nodiscard]] std::string combination_of(std::vector<std::string> services);

} // namespace salonq::projections::stats
