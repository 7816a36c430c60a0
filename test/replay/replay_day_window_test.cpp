// Which local days a report keeps for a --from/--to window: a date names the same local day in every salon; a time
// is an instant, whose local day is the salon's (an analyst's 23:00 in New York is still that day there).

#include "replay/report/reports.hpp"

#include <doctest/doctest.h>

namespace {

using salonq::replay::day_window;

constexpr auto new_york = "America/New_York";
constexpr auto berlin = "Europe/Berlin";
constexpr auto kolkata = "Asia/Kolkata";

} // namespace

TEST_CASE("report days: dates are local day names, the same in every zone; --to is the day after the last") {
    auto const w = day_window::of_times("2026-11-03T00:00:00.000Z", true, "2026-11-05T00:00:00.000Z", true);
    for (auto const* zone : {new_york, berlin, kolkata, "UTC"}) {
        CAPTURE(zone);
        CHECK(w.first_in(zone) == "2026-11-03");
        CHECK(w.last_in(zone) == "2026-11-04");
        CHECK_FALSE(w.holds("2026-11-02", zone));
        CHECK(w.holds("2026-11-03", zone));
        CHECK(w.holds("2026-11-04", zone));
        CHECK_FALSE(w.holds("2026-11-05", zone));
    }
}

TEST_CASE("report days: a time is an instant, kept from its local day in each salon's zone") {
    // 2026-11-03T23:00:00-05:00 (New York) = 2026-11-04T04:00Z = 05:00 in Berlin, 09:30 in Kolkata.
    auto const from = day_window::of_times("2026-11-04T04:00:00.000Z", false, std::nullopt, false);
    CHECK(from.first_in(new_york) == "2026-11-03");
    CHECK(from.first_in(berlin) == "2026-11-04");
    CHECK(from.first_in(kolkata) == "2026-11-04");
    CHECK(from.holds("2026-11-03", new_york));
    CHECK_FALSE(from.holds("2026-11-03", berlin));
    // --to at a local midnight ends the day before it there; elsewhere the same instant falls inside a day, kept.
    auto const to_ny_midnight = day_window::of_times(std::nullopt, false, "2026-11-04T05:00:00.000Z", false);
    CHECK(to_ny_midnight.last_in(new_york) == "2026-11-03");
    CHECK(to_ny_midnight.last_in(berlin) == "2026-11-04"); // 06:00 there
    auto const to_berlin_midnight = day_window::of_times(std::nullopt, false, "2026-11-03T23:00:00.000Z", false);
    CHECK(to_berlin_midnight.last_in(berlin) == "2026-11-03");
    CHECK(to_berlin_midnight.last_in(new_york) == "2026-11-03"); // 18:00 there
    CHECK(to_berlin_midnight.last_in(kolkata) == "2026-11-04");  // 04:30 there
    // Where a DST change skips 00:00 (Santiago, 2026-09-06: 00:00 -> 01:00), the day begins at 01:00 (04:00Z): a
    // --to there ends the day before too.
    auto const to_santiago_day_start = day_window::of_times(std::nullopt, false, "2026-09-06T04:00:00.000Z", false);
    CHECK(to_santiago_day_start.last_in("America/Santiago") == "2026-09-05");
    // A second past midnight is in the new day.
    auto const just_after = day_window::of_times(std::nullopt, false, "2026-11-03T23:00:01.000Z", false);
    CHECK(just_after.last_in(berlin) == "2026-11-04");
}

TEST_CASE("report days: no bounds keep every day") {
    day_window const w;
    CHECK_FALSE(w.bounded());
    CHECK(w.holds("1999-01-01", berlin));
    CHECK_FALSE(w.first_in(berlin));
}
