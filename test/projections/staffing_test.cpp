// Staffing advice: the simulated queue on small weeks worked out by hand (first come first served, rosters
// changing on the hour, the queue finished after closing), the demand a worked day gives, and the planner's
// promises: every hour within the target, and one fewer person in any hour misses it.

#include "projections/staffing/planner.hpp"
#include "test/engine/scenario.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

namespace salonq::test {
namespace {

using namespace salonq::projections::staffing;

constexpr std::int64_t min_ms = 60'000;
constexpr std::int64_t hour_ms = 60 * min_ms;

// Monday at hh:mm of the first simulated week.
std::int64_t monday(std::int64_t hh, std::int64_t mm) { return (hh * hour_ms) + (mm * min_ms); }

roster staffed(std::initializer_list<std::pair<std::size_t, std::int32_t>> hours) {
    roster r{};
    for (auto const& [hour, n] : hours) {
        r.at(hour) = n;
    }
    return r;
}

// Four walk-ins an hour, Monday to Friday 9:00-17:00, services of 20 to 40 minutes.
weekly_demand busy_weekdays() {
    weekly_demand d;
    for (std::size_t day = 0; day < 5; ++day) {
        for (std::size_t hour = 9; hour < 17; ++hour) {
            d.arrivals_per_hour.at((day * 24) + hour) = 4;
            d.weeks_seen.at((day * 24) + hour) = 4;
        }
    }
    d.service_ms = {20 * min_ms, 25 * min_ms, 30 * min_ms, 35 * min_ms, 40 * min_ms};
    d.visits = 640;
    return d;
}

} // namespace

TEST_SUITE("projections.staffing") {
    TEST_CASE("one person serves in order of arrival") {
        std::vector<arrival> const day{
            {monday(9, 0), 10 * min_ms}, {monday(9, 0), 10 * min_ms}, {monday(9, 5), 10 * min_ms}};
        CHECK(simulate_waits(day, staffed({{9, 1}})) == std::vector<std::int64_t>{0, 10 * min_ms, 15 * min_ms});
        CHECK(simulate_waits(day, staffed({{9, 3}})) == std::vector<std::int64_t>{0, 0, 0});
    }

    TEST_CASE("a second person coming on at 10:00 takes the next customer at once") {
        std::vector<arrival> const day{{monday(9, 50), 30 * min_ms}, {monday(9, 55), 30 * min_ms}};
        CHECK(simulate_waits(day, staffed({{9, 1}, {10, 2}})) == std::vector<std::int64_t>{0, 5 * min_ms});
        CHECK(simulate_waits(day, staffed({{9, 1}, {10, 1}})) == std::vector<std::int64_t>{0, 25 * min_ms});
    }

    TEST_CASE("after closing, the last hour's staff finish the queue; nobody overtakes") {
        std::vector<arrival> const day{{monday(18, 50), 30 * min_ms}, {monday(18, 55), 30 * min_ms}};
        CHECK(simulate_waits(day, staffed({{18, 1}})) == std::vector<std::int64_t>{0, 25 * min_ms});
        // A long service ahead holds the queue even when a short one could fit: first come, first served.
        std::vector<arrival> const order{
            {monday(9, 0), 60 * min_ms}, {monday(9, 1), 60 * min_ms}, {monday(9, 2), 5 * min_ms}};
        CHECK(simulate_waits(order, staffed({{9, 1}, {10, 2}})) ==
              std::vector<std::int64_t>{0, 59 * min_ms, 58 * min_ms});
    }

    TEST_CASE("the demand of a worked day: arrivals by hour of the week, durations, waits") {
        auto s = open_salon(); // Monday 2024-06-03, London: 08:00Z is 09:00 local
        s.given(walk_in("c1"), start("st1"));
        s.after(std::chrono::minutes{10}).given(walk_in("c2"), start("st2"));
        s.after(std::chrono::minutes{70}).given(walk_in("c3"), complete(1)); // 10:20 local; t1 took 80 min
        s.at(utc(2024, 6, 3, 10, 30)).given(complete(2), clock_out("st1"), clock_out("st2")); // 11:30
        projections::stats::salon_history h{salon_id{"s1"}};
        for (auto const& e : s.history()) {
            h.apply(e);
        }
        auto const d = demand_of(h);
        CHECK(d.visits == 3);
        CHECK(d.arrivals_per_hour.at(9) == doctest::Approx(2)); // Monday 09:00-10:00
        CHECK(d.arrivals_per_hour.at(10) == doctest::Approx(1));
        CHECK(d.weeks_seen.at(9) == 1);
        CHECK(d.weeks_seen.at(24 + 9) == 0); // a Tuesday: not in the history
        CHECK(d.service_ms == std::vector<std::int64_t>{80 * min_ms, 140 * min_ms});
        CHECK(d.observed_wait_ms.at(9) == std::vector<std::int64_t>{0, 0});
        CHECK(d.observed_staff.at(9) == doctest::Approx(2)); // both on duty from 09:00 local
        CHECK(d.observed_staff.at(10) == doctest::Approx(2));
        CHECK(d.observed_staff.at(11) == doctest::Approx(1)); // both until 11:30: one staff-hour
        CHECK(d.observed_staff.at(12) == doctest::Approx(0));
        CHECK(weekday_name(9) == "Mon");
        CHECK(weekday_name(std::size_t{24} * 6) == "Sun");
        CHECK(engine::weekday_of(0) == 3);                              // 1970-01-01, a Thursday (Monday is 0)
        CHECK(engine::weekday_of(-1) == 2);                             // before 1970 too
        CHECK(engine::weekday_of(20'788) == 1);                         // 2026-12-01, a Tuesday
        CHECK(demand_of(h, {.first = 19'878, .last = {}}).visits == 0); // from the next day on: nothing
    }

    TEST_CASE("the advice keeps every hour's p90 within the target, and nobody can be spared") {
        auto const demand = busy_weekdays();
        plan_options options;
        options.weeks = 8;
        auto const advice = plan_staffing(demand, options);
        auto const arrivals = draw_arrivals(demand, options.weeks, options.seed);
        roster staff{};
        for (std::size_t h = 0; h < hours_per_week; ++h) {
            staff.at(h) = advice.hours.at(h).staff;
            if (demand.arrivals_per_hour.at(h) > 0) {
                CHECK(advice.hours.at(h).meets_target);
                CHECK(*advice.hours.at(h).wait_p90_ms <= options.target_p90_ms);
                CHECK(staff.at(h) >= 2); // the offered load is 2: four customers of half an hour each
            } else {
                CHECK(staff.at(h) == 0);
            }
        }
        for (std::size_t h = 0; h < hours_per_week; ++h) {
            if (staff.at(h) > 1) {
                auto fewer = staff;
                --fewer.at(h);
                auto const hours = evaluate(arrivals, fewer, options.target_p90_ms);
                CAPTURE(h);
                CHECK_FALSE(std::ranges::all_of(hours, [](hour_advice const& a) { return a.meets_target; }));
            }
        }
    }

    TEST_CASE("an hour no roster can meet is reported as missed; the other days are still planned") {
        auto demand = busy_weekdays();
        demand.arrivals_per_hour.at(9) = 400; // Monday 09:00: 200 people's work an hour
        plan_options options;
        options.weeks = 4;
        options.max_staff = 12;
        auto const advice = plan_staffing(demand, options);
        CHECK_FALSE(advice.hours.at(9).meets_target);
        CHECK(advice.hours.at(9).staff == options.max_staff);
        for (std::size_t day = 1; day < 5; ++day) { // Tuesday to Friday: untouched by Monday's crowd
            for (std::size_t hour = 9; hour < 17; ++hour) {
                auto const& a = advice.hours.at((day * 24) + hour);
                CHECK(a.meets_target);
                CHECK(a.staff < options.max_staff);
            }
        }
    }

    TEST_CASE("a stricter target needs at least as many staff; the same history gives the same advice") {
        auto const demand = busy_weekdays();
        auto total = [](staffing_advice const& a) {
            return std::accumulate(a.hours.begin(), a.hours.end(), 0,
                                   [](int n, hour_advice const& h) { return n + h.staff; });
        };
        plan_options strict;
        strict.weeks = 8;
        strict.target_p90_ms = 2 * min_ms;
        plan_options relaxed = strict;
        relaxed.target_p90_ms = 30 * min_ms;
        CHECK(total(plan_staffing(demand, strict)) > total(plan_staffing(demand, relaxed)));
        CHECK(total(plan_staffing(demand, strict)) == total(plan_staffing(demand, strict)));
        CHECK(plan_staffing(weekly_demand{}).rosters_tried == 0); // nothing to learn from: no advice
    }
}

} // namespace salonq::test
