// A salon's history and its summaries, in the domain's style: given a day worked out by hand (decided and folded by
// the real domain), then the figures: counts, nearest-rank percentiles, revenue, staff time cut at local
// midnights (clock changes included), arrivals by local hour; and the reports built from them.

#include "projections/stats/summary.hpp"
#include "replay/report/reports.hpp"
#include "test/engine/scenario.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

namespace salonq::test {
namespace {

using namespace salonq::projections::stats;
using std::chrono::minutes;

constexpr std::int64_t min_ms = 60'000;

salon_history history_of(scenario const& s) {
    salon_history h{salon_id{"s1"}};
    for (auto const& e : s.history()) {
        h.apply(e);
    }
    return h;
}

// 2024-06-03, London (BST, UTC+1): st1 and st2 on duty 09:00-17:00 local; six walk-ins.
scenario worked_day() {
    auto s = open_salon(); // 08:00Z = 09:00 local, st1 and st2 clocked in
    auto const manager = staff_actor("mgr");
    s.given(walk_in("c1"), start("st1"));                                   // t1 waits 0
    s.after(minutes{10}).given(walk_in("c2"), start("st2"));                // t2 waits 0
    s.after(minutes{10}).given(walk_in("c3"));                              // 08:20
    s.after(minutes{10}).given(walk_in("c4"));                              // 08:30
    s.after(minutes{10}).given(complete(1));                                // 08:40, t1 took 40 min, 2500
    s.by(manager).given(skip(3));                                           // 08:40
    s.after(minutes{5}).by(manager).given(undo_skip(3));                    // 08:45
    s.after(minutes{5}).given(start("st1"));                                // 08:50, t3 waited 30
    s.after(minutes{10}).given(complete(2, 3000));                          // 09:00, t2 took 50 min
    s.after(minutes{10}).by(manager).given(priority(4, "st2"));             // 09:10, t4 waited 40
    s.after(minutes{10}).given(complete(3), walk_in("c5"));                 // 09:20, t3 took 30 min, 2500
    s.after(minutes{5}).given(cancel(5));                                   // 09:25
    s.after(minutes{5}).given(walk_in("c6"));                               // 09:30, t6 never served
    s.after(minutes{10}).given(complete(4, 0));                             // 09:40, t4 took 30 min, free
    s.at(utc(2024, 6, 3, 16, 0)).given(clock_out("st1"), clock_out("st2")); // 17:00 local
    s.by(manager).given(close_day());                                       // t6: no-show
    return s;
}

} // namespace

TEST_SUITE("projections.stats") {
    TEST_CASE("local clock: the salon's day and minute, across both clock changes") {
        CHECK(local_clock_of("Europe/London", utc(2024, 6, 3, 8, 0)) == local_clock{19877, 9 * 60});
        CHECK(local_clock_of("Europe/London", utc(2024, 3, 31, 0, 59)).minute == 59);            // still GMT
        CHECK(local_clock_of("Europe/London", utc(2024, 3, 31, 1, 0)).minute == 2 * 60);         // BST from 01:00Z
        CHECK(local_clock_of("Asia/Kolkata", utc(2024, 6, 3, 20, 0)) == local_clock{19878, 90}); // 01:30 next day
        CHECK(local_clock_of("No/Such_Zone", utc(2024, 6, 3, 20, 0)) == local_clock{19877, 20 * 60});
    }

    TEST_CASE("a day worked out by hand: counts, percentiles, revenue, staff time, arrivals by hour") {
        auto const days = summarize_days(history_of(worked_day()));
        REQUIRE(days.size() == 1);
        auto const& d = days.front();
        CHECK(d.day == 19877); // 2024-06-03
        CHECK(d.walk_ins == 6);
        CHECK(d.served == 4);
        CHECK(d.cancelled == 1);
        CHECK(d.no_shows == 1);
        CHECK(d.open == 0);
        CHECK(d.skips == 1);
        CHECK(d.undo_skips == 1);
        CHECK(d.priority_starts() == 1);
        CHECK(d.priority_by_reason[static_cast<std::size_t>(priority_reason::senior_citizen)] == 1);
        // Waits 0, 0, 30, 40: the 2nd of 4 is the p50, the 4th the p90 (nearest rank).
        CHECK(d.wait_ms.p50 == 0);
        CHECK(d.wait_ms.p90 == 40 * min_ms);
        // Services 30, 30, 40, 50.
        CHECK(d.service_ms.p50 == 30 * min_ms);
        CHECK(d.service_ms.p90 == 50 * min_ms);
        CHECK(d.revenue_cents == 2500 + 3000 + 2500 + 0);
        CHECK(d.on_duty_ms == min_ms * 2 * 8 * 60);
        CHECK(d.busy_ms == 150 * min_ms);
        REQUIRE(d.utilisation());
        CHECK(*d.utilisation() == doctest::Approx(150.0 / 960.0));
        CHECK(d.arrivals_by_hour[9] == 4);
        CHECK(d.arrivals_by_hour[10] == 2);
        CHECK(d.wait_ms_by_hour[9].p90 == 40 * min_ms);
        CHECK_FALSE(d.wait_ms_by_hour[10].p50); // t5 cancelled, t6 no-show: neither started
    }

    TEST_CASE("staff and services of the day") {
        auto const h = history_of(worked_day());
        auto const staff = summarize_staff(h);
        REQUIRE(staff.size() == 2);
        CHECK(staff[0].staff == "st1");
        CHECK(staff[0].work.served == 2); // t1 40 min, t3 30 min
        CHECK(staff[0].work.busy_ms == 70 * min_ms);
        CHECK(staff[0].work.revenue_cents == 5000);
        CHECK(staff[0].work.on_duty_ms == 480 * min_ms);
        CHECK(staff[0].service_ms.p50 == 30 * min_ms);
        CHECK(staff[1].staff == "st2");
        CHECK(staff[1].work.busy_ms == 80 * min_ms);
        auto const services = summarize_services(h);
        REQUIRE(services.size() == 1);
        CHECK(services[0].services == "cut");
        CHECK(services[0].served == 4);
        CHECK(services[0].planned_min == 30);
    }

    TEST_CASE("services: the same combination asked in either order is one row, in code order") {
        auto s = open_salon();
        s.given(walk_in("a", {"cut", "beard"}), walk_in("b", {"beard", "cut"}), walk_in("c", {"cut"}));
        s.given(start("st1"), start("st2"));
        s.after(minutes{40}).given(complete(1, 4000), complete(2, 4000), start("st1"));
        s.after(minutes{30}).given(complete(3, 2500));
        auto const services = summarize_services(history_of(s));
        REQUIRE(services.size() == 2);
        CHECK(services[0].services == "beard+cut");
        CHECK(services[0].served == 2);
        CHECK(services[0].planned_min == 45);
        CHECK(services[1].services == "cut");
        CHECK(services[1].served == 1);
        // Each ticket still shows what was asked, in its order (the waits report).
        CHECK(joined_codes({"cut", "beard"}) == "cut+beard");
    }

    TEST_CASE("a service over midnight is the work of the day it started, for the staff as for the day") {
        auto s = open_salon(); // 2024-06-03, London: midnight is 23:00Z
        s.at(utc(2024, 6, 3, 22, 50)).given(walk_in("late"), start("st1"));
        s.at(utc(2024, 6, 3, 23, 20)).given(complete(1, 4000)); // 00:20 local on the 4th
        auto const h = history_of(s);
        auto const day = local_day_of("Europe/London", utc(2024, 6, 3, 22, 50));
        auto const& st1 = h.days().at(day).staff.at("st1");
        CHECK(st1.served == 1);
        CHECK(st1.busy_ms == 30 * min_ms);
        CHECK(st1.revenue_cents == 4000);
        CHECK_FALSE(h.days().contains(day + 1)); // nothing of it on the 4th
        auto const days = summarize_days(h);
        REQUIRE(days.size() == 1);
        CHECK(days.front().served == 1); // the day's row and its staff rows agree
        CHECK(days.front().revenue_cents == 4000);
    }

    TEST_CASE("before anyone clocks out, the shifts so far count until the salon's latest event") {
        auto s = open_salon(); // 08:00Z = 09:00 local, st1 and st2 clocked in
        s.given(walk_in("c1"), start("st1"));
        s.after(minutes{40}).given(complete(1)); // 08:40Z: st1 busy 40 minutes
        auto h = history_of(s);
        CHECK(summarize_days(h).front().on_duty_ms == 0); // the fold alone counts a shift when it ends
        h.close_open_shifts();
        auto const days = summarize_days(h);
        REQUIRE(days.size() == 1);
        CHECK(days.front().on_duty_ms == min_ms * 2 * 40); // both since 08:00Z, until the completion
        CHECK(*days.front().utilisation() == doctest::Approx(0.5));
        auto const staff = summarize_staff(h);
        REQUIRE(staff.size() == 2);
        CHECK(*staff[0].utilisation() == doctest::Approx(1.0)); // st1 served all 40 minutes
        CHECK(*staff[1].utilisation() == doctest::Approx(0.0));
        CHECK(days.front().busy_ms == 40 * min_ms);
        h.close_open_shifts(); // closed: nothing counted twice
        CHECK(summarize_days(h).front().on_duty_ms == min_ms * 2 * 40);
        // A closed shift is not counted again either: the worked day's figures stay.
        auto worked = history_of(worked_day());
        worked.close_open_shifts();
        CHECK(summarize_days(worked).front().on_duty_ms == min_ms * 2 * 8 * 60);
    }

    TEST_CASE("a shift over midnight is cut at the salon's midnight, also on the nights the clocks change") {
        struct shift {
            instant in, out;
            std::int64_t first_min, second_min;
        };
        for (auto const& [in, out, first, second] :
             {shift{utc(2024, 6, 3, 22, 0), utc(2024, 6, 4, 2, 0), 60, 180},       // BST: midnight is 23:00Z
              shift{utc(2024, 3, 30, 23, 0), utc(2024, 3, 31, 3, 0), 60, 180},     // spring: midnight 00:00Z (GMT)
              shift{utc(2024, 10, 26, 22, 0), utc(2024, 10, 27, 2, 0), 60, 180},   // autumn: midnight 23:00Z (BST)
              shift{utc(2024, 3, 31, 0, 30), utc(2024, 4, 1, 0, 30), 1350, 90}}) { // a 23-hour day
            auto s = open_salon();
            s.at(in).given(clock_out("st1"), clock_in("st1"));
            s.at(out).given(clock_out("st1"));
            auto const h = history_of(s);
            auto const day = local_day_of("Europe/London", in);
            CAPTURE(day);
            REQUIRE(h.days().contains(day));
            REQUIRE(h.days().contains(day + 1));
            CHECK(h.days().at(day).staff.at("st1").on_duty_ms >= first * min_ms); // + the morning of open_salon's
            CHECK(h.days().at(day + 1).staff.at("st1").on_duty_ms == second * min_ms);
        }
    }

    TEST_CASE("percentiles are nearest-rank: exact values, none of nothing") {
        CHECK_FALSE(percentiles_of({}).p50);
        CHECK(percentiles_of({7}).p50 == 7);
        CHECK(percentiles_of({7}).p90 == 7);
        CHECK(percentiles_of({5, 1, 4, 2, 3}).p50 == 3);
        CHECK(percentiles_of({5, 1, 4, 2, 3}).p90 == 5);
        std::vector<std::int64_t> hundred(100);
        std::iota(hundred.begin(), hundred.end(), 1);
        CHECK(percentiles_of(hundred).p50 == 50);
        CHECK(percentiles_of(hundred).p90 == 90);
    }

    TEST_CASE("reports: the day's row, the priority audit, a visit, as CSV and as JSON lines") {
        std::map<std::string, salon_history> salons;
        salons.emplace("s1", history_of(worked_day()));
        using replay::report_kind;
        auto const daily = replay::make_report(report_kind::daily, salons);
        REQUIRE(daily.rows.size() == 1);
        auto const column = [&](replay::table const& t, std::size_t row, std::string_view name) {
            auto const at = std::ranges::find(t.columns, name) - t.columns.begin();
            REQUIRE(static_cast<std::size_t>(at) < t.columns.size());
            return t.rows.at(row).at(static_cast<std::size_t>(at));
        };
        CHECK(std::get<std::string>(column(daily, 0, "day")) == "2024-06-03");
        CHECK(std::get<std::int64_t>(column(daily, 0, "walkIns")) == 6);
        CHECK(std::get<replay::decimal>(column(daily, 0, "waitP90Min")).value == doctest::Approx(40.0));
        CHECK(std::get<replay::decimal>(column(daily, 0, "utilisation")).places == 3);

        auto const audit = replay::make_report(report_kind::priority_audit, salons);
        REQUIRE(audit.rows.size() == 1);
        CHECK(std::get<std::string>(column(audit, 0, "reason")) == "senior_citizen");
        CHECK(std::get<std::string>(column(audit, 0, "orderedBy")) == "mgr");
        CHECK(std::get<std::int64_t>(column(audit, 0, "positionBefore")) == 1);
        CHECK(std::get<std::int64_t>(column(audit, 0, "dailyLimit")) == 5);

        auto const waits = replay::make_report(report_kind::waits, salons);
        REQUIRE(waits.rows.size() == 6);
        CHECK(std::get<std::string>(column(waits, 2, "joinedLocal")) == "09:20");
        CHECK(std::get<std::int64_t>(column(waits, 2, "skips")) == 1);
        CHECK(std::get<std::string>(column(waits, 5, "outcome")) == "no_show");
        CHECK(std::holds_alternative<std::monostate>(column(waits, 5, "startedAt")));
    }
}

} // namespace salonq::test
