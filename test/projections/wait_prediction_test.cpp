// Scenario tests of the wait predictor (observed_estimator and the pace the view learns, view.observed): given
// events (decided and folded by the real domain), then the view's estimates. The catalogue of open_salon: cut 30,
// beard 15, color 90 minutes; staff st1 and st2 on duty. Estimates are medians over runs with durations spread
// around their means (a lognormal with 40 % spread): one 30-minute cut's median is 27.85 minutes (30 / sqrt(1.16)).

#include "projections/queue/observed_estimator.hpp"
#include "projections/queue/view_codec.hpp"
#include "test/engine/scenario.hpp"

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace salonq::test {
namespace {

using namespace salonq::projections;
using std::chrono::minutes;

queue_view predicted_view(scenario const& s) {
    queue_view v;
    observed_estimator const predictor;
    for (auto const& e : s.history()) {
        apply_and_record_join(v, e, predictor);
    }
    predictor.estimate(v);
    return v;
}

std::vector<std::optional<std::int64_t>> waits_min(queue_view const& v) {
    std::vector<std::optional<std::int64_t>> out;
    out.reserve(v.waiting.size());
    for (auto const& t : v.waiting) {
        out.push_back(t.expected ? std::optional{t.expected->wait_ms / minute_ms} : std::nullopt);
    }
    return out;
}

std::optional<std::int64_t> join_min(queue_view const& v) {
    return v.join_now ? std::optional{v.join_now->wait_ms / minute_ms} : std::nullopt;
}

// Serves `count` cuts one after the other by `staff`, each taking `each`; the tickets are the next ids from `first`.
void serve_cuts(scenario& s, std::string const& staff, std::uint64_t first, int count, minutes each) {
    for (int i = 0; i < count; ++i) {
        s.given(walk_in("c" + std::to_string(first + i)));
        s.given(start(staff, first + static_cast<std::uint64_t>(i)));
        s.after(each).given(complete(first + static_cast<std::uint64_t>(i)));
    }
}

// open_salon's staff, none clocked in yet (their clock-ins and -outs teach their usual shifts).
scenario staffed_salon() {
    scenario s;
    s.given(register_salon(), set_services(catalogue()));
    s.by(system_actor()).given(add_staff("own", role::owner));
    s.by(staff_actor("own")).given(add_staff("mgr", role::manager));
    s.given(add_staff("st1", role::staff), add_staff("st2", role::staff));
    return s;
}

// Europe/London in June 2024 (10:00 UTC is 11:00 local): st1 works 09-19 local on each of June `days`, st2 11-17 on
// those where `st2_works`. Then on June `today` at 10:30 local st1 alone starts a cut, and two more wait.
queue_view half_past_ten(std::vector<unsigned> const& days, std::function<bool(unsigned)> const& st2_works,
                         unsigned today) {
    auto s = staffed_salon();
    for (auto const day : days) {
        s.at(utc(2024, 6, day, 8)).given(clock_in("st1"));
        if (st2_works(day)) {
            s.at(utc(2024, 6, day, 10)).given(clock_in("st2"));
            s.at(utc(2024, 6, day, 16)).given(clock_out("st2"));
        }
        s.at(utc(2024, 6, day, 18)).given(clock_out("st1"));
    }
    s.at(utc(2024, 6, today, 8)).given(clock_in("st1"));
    s.at(utc(2024, 6, today, 9, 30));
    walk_ins(s, 3);
    s.given(start("st1", 1));
    return predicted_view(s);
}

TEST_SUITE("projections.wait_prediction") {
    TEST_CASE("by hand: two staff, one 10 minutes into a 30-minute cut, two cuts waiting") {
        auto s = open_salon();
        walk_ins(s, 4);
        s.given(start("st1", 1));                    // 08:00, about 28 minutes in the median
        s.after(minutes{10}).given(start("st2", 2)); // 08:10, alike
        auto const v = predicted_view(s);
        CHECK(v.updated_at == utc(2024, 6, 3, 8, 10));
        // c3 waits for whichever is free first: mostly st1 (about 18 minutes left), in some runs st2, so a little
        // sooner than st1's median; c4 for the other one (st2's 28 minutes, or st1's later end).
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{16, 31});
        CHECK(v.waiting[0].expected->start == v.updated_at + std::chrono::milliseconds{v.waiting[0].expected->wait_ms});
        CHECK(join_min(v) == 45);
        // What c3 and c4 were told when they walked in at 08:00, before anyone started: the first and the second of
        // two cuts' ends (the earlier of two random ends comes before one cut's median).
        CHECK(v.waiting[0].join_wait->wait_ms / minute_ms == 22);
        CHECK(v.waiting[1].join_wait->wait_ms / minute_ms == 31);
    }

    TEST_CASE("the median, not the mean: one chair, a line of cuts") {
        auto s = open_salon();
        s.given(clock_out("st2"));
        walk_ins(s, 6);
        auto const v = predicted_view(s);
        auto const w = waits_min(v);
        REQUIRE(w.size() == 6);
        CHECK(w[0] == 0);
        CHECK(v.waiting[1].expected->wait_ms == 30 * minute_ms * 9285 / 10'000); // one cut's median
        // n cuts ahead: the median of their sum lies between the sum of their medians and the sum of their means
        // (a sum of skewed durations is less skewed than each).
        for (std::size_t n = 2; n < w.size(); ++n) {
            REQUIRE(w[n].has_value());
            CHECK(*w[n] >= static_cast<std::int64_t>(n) * 27);
            CHECK(*w[n] < static_cast<std::int64_t>(n) * 30);
        }
    }

    TEST_CASE("the likely range: the runs' 11th to 89th percentile, wider further back") {
        auto s = open_salon();
        s.given(clock_out("st2"));
        walk_ins(s, 6);
        auto const v = predicted_view(s);
        REQUIRE(v.waiting.size() == 6);
        // The first is called at once in every run: no spread.
        CHECK(v.waiting[0].expected == predicted_start{0, v.updated_at, 0, 0});
        // One cut ahead: its durations in the 23 runs are the 23 quantiles of the spread; the range is the 3rd and
        // the 21st of them.
        auto const& second = *v.waiting[1].expected;
        CHECK(second.low_ms == 30 * minute_ms * 5773 / 10'000);
        CHECK(second.high_ms == 30 * minute_ms * 14933 / 10'000);
        // Further back the sum of more cuts: each range holds its estimate, both ends move later, and it widens
        // (in minutes: 17-45 for one cut ahead, 120-197 for five; with 23 runs the width itself wobbles from one
        // position to the next: 51.9 minutes for three ahead, 50.7 for four).
        for (std::size_t n = 1; n < v.waiting.size(); ++n) {
            auto const& e = *v.waiting[n].expected;
            CHECK(e.low_ms < e.wait_ms);
            CHECK(e.wait_ms < e.high_ms);
            if (n > 1) {
                CHECK(e.low_ms > v.waiting[n - 1].expected->low_ms);
                CHECK(e.high_ms > v.waiting[n - 1].expected->high_ms);
            }
        }
        auto const& last = *v.waiting[5].expected;
        CHECK(last.low_ms / minute_ms == 120);
        CHECK(last.high_ms / minute_ms == 197);
        CHECK(last.high_ms - last.low_ms > 2 * (second.high_ms - second.low_ms));
        REQUIRE(v.join_now.has_value());
        CHECK(v.join_now->low_ms > last.low_ms);
        CHECK(v.join_now->high_ms > last.high_ms);
    }

    TEST_CASE("an overdue service is expected to end soon, not at once: drawn among the longer durations") {
        auto const overdue_by = [](minutes in_service) {
            auto s = open_salon();
            s.given(clock_out("st2"));
            walk_ins(s, 2);
            s.given(start("st1", 1));
            s.after(in_service).given(walk_in("late"));
            return waits_min(predicted_view(s));
        };
        // 40 minutes into a 30-minute cut: only the runs where it takes over 40 minutes are left.
        auto const w = overdue_by(minutes{40});
        REQUIRE(w[0].has_value());
        CHECK(*w[0] >= 2);
        CHECK(*w[0] <= 12);
        // Longer than any run: 1/16 of its mean left (1.9 minutes).
        CHECK(overdue_by(minutes{100})[0] == 1);
    }

    TEST_CASE("common random numbers: a newcomer does not move the estimates of those ahead") {
        auto s = open_salon();
        walk_ins(s, 5);
        s.given(start("st1", 1));
        s.after(minutes{7}).given(start("st2", 2));
        auto const before = predicted_view(s);
        s.given(walk_in("newcomer"));
        auto const after = predicted_view(s);
        REQUIRE(after.waiting.size() == before.waiting.size() + 1);
        for (std::size_t i = 0; i < before.waiting.size(); ++i) {
            CHECK(after.waiting[i].expected == before.waiting[i].expected);
        }
        CHECK(after.waiting.back().expected == before.join_now);
        auto again = after;
        observed_estimator{}.estimate(again);
        CHECK(again == after); // deterministic
    }

    TEST_CASE("observed durations replace the catalogue's: a salon whose cuts take 40 minutes") {
        auto s = open_salon();
        s.given(clock_out("st2"));
        serve_cuts(s, "st1", 1, 20, minutes{40});
        walk_ins(s, 0);
        s.given(walk_in("next"), walk_in("after"));
        auto const v = predicted_view(s);
        REQUIRE(v.observed.find_service("cut") != nullptr);
        CHECK(v.observed.find_service("cut")->count == 20);
        // The service mean and st1's speed share the 40 minutes between them; their product is what counts.
        auto const cut_ms = v.observed.find_service("cut")->mean_ms * v.observed.speed_of(sid("st1")) / ratio_one;
        CHECK(cut_ms / minute_ms == doctest::Approx(40).epsilon(0.03));
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{0, cut_ms * 9285 / 10'000 / minute_ms});
    }

    TEST_CASE("recency weighting: the salon's recent pace counts more than its old one") {
        auto s = open_salon();
        s.given(clock_out("st2"));
        serve_cuts(s, "st1", 1, 30, minutes{30});
        serve_cuts(s, "st1", 31, 10, minutes{45});
        s.given(walk_in("next"), walk_in("after"));
        auto const v = predicted_view(s);
        auto const second = v.waiting[1].expected->wait_ms * 10'000 / 9285 / minute_ms; // the mean behind the median
        // A plain mean of all forty would be 33.75 minutes; the last ten weigh more than a quarter.
        CHECK(second > 38);
        CHECK(second < 45);
    }

    TEST_CASE("per-staff effects: a fast and a slow stylist") {
        auto s = open_salon();
        serve_cuts(s, "st1", 1, 12, minutes{20});
        serve_cuts(s, "st2", 13, 12, minutes{40});
        walk_ins(s, 0);
        s.given(walk_in("a"), walk_in("b"), walk_in("c"));
        auto const v = predicted_view(s);
        CHECK(v.observed.speed_of(sid("st1")) < ratio_one);
        CHECK(v.observed.speed_of(sid("st2")) > ratio_one);
        // a and b start now (st1, st2); c waits for the fast one, about 20 minutes, not the salon's 30-minute mean.
        auto const w = waits_min(v);
        REQUIRE(w.size() == 3);
        CHECK(w[0] == 0);
        CHECK(w[1] == 0);
        REQUIRE(w[2].has_value());
        CHECK(*w[2] >= 18);
        CHECK(*w[2] <= 24);
    }

    TEST_CASE("the changeover between a completion and the next start is learned and waited for") {
        auto s = open_salon();
        s.given(clock_out("st2"));
        walk_ins(s, 6);
        for (std::uint64_t t = 1; t <= 5; ++t) {
            s.given(start("st1", t));
            s.after(minutes{30}).given(complete(t));
            s.after(minutes{5});
        }
        auto const v = predicted_view(s);
        CHECK(v.observed.changeover_ms == doctest::Approx(5 * minute_ms).epsilon(0.01));
        // As of the last completion, ticket 6 waits for st1's changeover.
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{5});
    }

    TEST_CASE("the pick-up: a walk-in with a free stylist still waits for them to call") {
        auto s = open_salon();
        s.given(clock_out("st2"));
        for (std::uint64_t t = 1; t <= 5; ++t) { // st1 is free each time; each walk-in is called 2 minutes later
            s.given(walk_in("c" + std::to_string(t)));
            s.after(minutes{2}).given(start("st1", t));
            s.after(minutes{30}).given(complete(t));
        }
        s.given(walk_in("next"));
        auto v = predicted_view(s);
        CHECK(v.observed.pickups == 5);
        CHECK(v.observed.pickup_ms == 2 * minute_ms);
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{2}); // not 0
        CHECK(v.waiting[0].join_wait->wait_ms == 2 * minute_ms);
        // A minute later, one is left; and a second walk-in waits for st1's cut after the first, not 2 minutes more.
        s.after(minutes{1}).given(walk_in("second"));
        v = predicted_view(s);
        CHECK(waits_min(v)[0] == 1);
        CHECK(waits_min(v)[1] >= 27);
    }

    TEST_CASE("the pick-up: a clock-in to a line formed before opening is not a 15-minute pick-up") {
        auto s = staffed_salon();
        s.at(utc(2024, 6, 3, 7, 45)).given(walk_in("early")); // a line before opening
        s.at(utc(2024, 6, 3, 8)).given(clock_in("st1"), start("st1", 1));
        auto v = predicted_view(s);
        CHECK(v.observed.pickups == 1);
        CHECK(v.observed.pickup_ms == 0); // from st1's clock-in, not from the join 15 minutes before
        // st2 comes in; the next walk-in, with st2 free, is told 0 minutes, not 15.
        s.after(minutes{5}).given(clock_in("st2"));
        s.after(minutes{1}).given(walk_in("next"));
        v = predicted_view(s);
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{0});
        CHECK(v.waiting[0].join_wait->wait_ms == 0);
    }

    TEST_CASE("the pick-up: one sample is not used (five are)") {
        auto s = open_salon();
        s.given(clock_out("st2"));
        s.given(walk_in("c1"));
        s.after(minutes{4}).given(start("st1", 1)); // st1 free: a 4-minute pick-up
        s.after(minutes{30}).given(complete(1));
        s.given(walk_in("next"));
        auto const v = predicted_view(s);
        CHECK(v.observed.pickups == 1);
        CHECK(v.observed.pickup_ms == 4 * minute_ms);
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{0}); // not 4
    }

    TEST_CASE("a shift's first start is not a changeover from the previous shift's last completion") {
        auto s = open_salon();
        s.given(clock_out("st2"));
        walk_ins(s, 3);
        s.given(start("st1", 1));
        s.after(minutes{30}).given(complete(1)); // others waiting: a changeover would start here,
        s.given(clock_out("st1"));               // but st1 goes home
        s.after(std::chrono::hours{13}).given(clock_in("st1"));
        s.given(start("st1", 2)); // the next morning: 13 hours later, no changeover
        auto const v = predicted_view(s);
        CHECK(v.observed.changeovers == 0);
        CHECK(v.observed.changeover_ms == 0);
        // Ticket 3 waits for ticket 2's cut alone: one cut's median (27.85 minutes), no changeover on top.
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{27});
    }

    TEST_CASE("a stylist whose line the others took is idle, not in a changeover, until the next walk-in") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.given(start("st1", 1), start("st2", 2));
        s.after(minutes{29}).given(complete(2));      // ticket 3 waiting: st2's changeover begins
        s.after(minutes{1}).given(complete(1));       // and st1's,
        s.after(minutes{1}).given(start("st2", 3));   // but st2 takes the last one (a 2-minute changeover)
        s.after(minutes{10}).given(walk_in("later")); // st1 idle meanwhile
        s.after(minutes{2}).given(start("st1", 4));   // 13 minutes after st1's completion: 2 a pick-up
        auto const v = predicted_view(s);
        CHECK(v.observed.changeovers == 1); // st2's; not st1's 13 minutes
        CHECK(v.observed.changeover_ms == 2 * minute_ms);
        CHECK(v.observed.pickups == 3); // tickets 1 and 2 at once, then ticket 4's: a running median's step up
        CHECK(v.observed.pickup_ms == 3'000);

        // The same when the last one waiting is skipped (absent when called): nobody is left to change over to.
        auto k = open_salon();
        walk_ins(k, 3);
        k.given(start("st1", 1), start("st2", 2));
        k.after(minutes{30}).given(complete(1)); // ticket 3 waiting: st1's changeover begins,
        k.after(minutes{1}).given(skip(3));      // but ticket 3 is not there
        k.after(minutes{10}).given(walk_in("later"));
        k.after(minutes{2}).given(start("st1", 4));
        CHECK(predicted_view(k).observed.changeovers == 0);
    }

    TEST_CASE("usual shifts: a stylist who comes in at 11 every day is expected at 11") {
        // st1 works 09-19 local, st2 11-17, two days running; the third day, st2 is due in 30 minutes.
        auto const history = [](bool st2_came_before) {
            return half_past_ten(
                {3, 4}, [&](unsigned) { return st2_came_before; }, 5);
        };
        auto const usual = history(true);
        auto const* st2 = usual.observed.find_staff(sid("st2"));
        REQUIRE(st2 != nullptr);
        CHECK(st2->clock_in_min == 11 * 60);
        CHECK(st2->clock_out_min == 17 * 60);
        CHECK(st2->clock_ins == 2);
        // Ticket 2 goes to whichever of st1 (the cut's end: 27.85 minutes in the median) and st2 (30) is first;
        // ticket 3 to the other one: in most runs st2 at 30 minutes, in the rest st1's end if it comes later.
        auto const w = waits_min(usual);
        REQUIRE(w.size() == 2);
        CHECK(w[0] == 27);
        CHECK(w[1] == 30);
        // Without that history, ticket 3 waits for two of st1's cuts.
        CHECK(waits_min(history(false)) == std::vector<std::optional<std::int64_t>>{27, 57});
    }

    TEST_CASE(
        "usual shifts: a stylist off on the last two Tuesdays is not expected on a Tuesday; once is not a day off") {
        // 3 June 2024 is a Monday. st1 works every open day, st2 too but not on Tuesdays (or, in the second history,
        // only not on the last one); then the third Tuesday.
        auto const history = [](bool off_both_tuesdays) {
            auto const tuesday = [](unsigned day) { return day == 4 || day == 11; };
            return half_past_ten(
                {3, 4, 5, 10, 11}, [&](unsigned day) { return !tuesday(day) || (day == 4 && !off_both_tuesdays); }, 18);
        };
        auto const off = history(true);
        auto const* st2 = off.observed.find_staff(sid("st2"));
        REQUIRE(st2 != nullptr);
        CHECK(st2->absent_in_row == std::array<std::uint8_t, 7>{0, 2, 0, 0, 0, 0, 0});
        CHECK(off.observed.find_staff(sid("st1"))->absent_in_row == std::array<std::uint8_t, 7>{});
        // Nobody else comes: ticket 3 waits for two of st1's cuts.
        CHECK(waits_min(off) == std::vector<std::optional<std::int64_t>>{27, 57});
        auto back = decode_view(encode_view(off));
        REQUIRE_MESSAGE(back.has_value(), back.error().path << ": " << back.error().message);
        CHECK(back->observed == off.observed);
        // Off one Tuesday only (ill, say): still expected at 11, as in "a stylist who comes in at 11 every day".
        auto const once = history(false);
        CHECK(once.observed.find_staff(sid("st2"))->absent_in_row == std::array<std::uint8_t, 7>{0, 1, 0, 0, 0, 0, 0});
        CHECK(waits_min(once) == std::vector<std::optional<std::int64_t>>{27, 30});
    }

    TEST_CASE("usual shifts: on duty across a day (a forgotten clock-out, a night shift) is not an absence") {
        auto s = staffed_salon();
        s.at(utc(2024, 6, 3, 8)).given(clock_in("st1"), clock_in("st2"));
        s.at(utc(2024, 6, 3, 18)).given(clock_out("st1")); // st2 forgets to clock out on Monday
        s.at(utc(2024, 6, 4, 8)).given(clock_in("st1"));
        s.at(utc(2024, 6, 4, 18)).given(clock_out("st1"), clock_out("st2")); // on Tuesday evening st2 does
        s.at(utc(2024, 6, 5, 8)).given(clock_in("st1"));
        auto const v = predicted_view(s);
        auto const* st2 = v.observed.find_staff(sid("st2"));
        REQUIRE(st2 != nullptr);
        CHECK(st2->absent_in_row == std::array<std::uint8_t, 7>{}); // Tuesday was worked
    }

    TEST_CASE("usual shifts: who leaves before the others takes no ticket after their usual end") {
        auto s = staffed_salon();
        for (unsigned day = 3; day <= 4; ++day) { // st1 works 09-19 local, st2 09-15
            s.at(utc(2024, 6, day, 8)).given(clock_in("st1"), clock_in("st2"));
            s.at(utc(2024, 6, day, 14)).given(clock_out("st2"));
            s.at(utc(2024, 6, day, 18)).given(clock_out("st1"));
        }
        s.at(utc(2024, 6, 5, 8)).given(clock_in("st1"), clock_in("st2"));
        // 14:40 and 14:50 local: st1 and st2 start a cut, one more waits. st2's cut ends after 15:00 in every run
        // (its shortest draw is 13 minutes), and st2 usually goes home at 15:00.
        s.at(utc(2024, 6, 5, 13, 40));
        walk_ins(s, 3);
        s.given(start("st1", 1));
        s.after(minutes{10}).given(start("st2", 2));
        auto const v = predicted_view(s);
        CHECK(v.observed.find_staff(sid("st2"))->clock_out_min == 15 * 60);
        // Ticket 3 waits for st1's cut alone: its median end, 27.85 minutes after 14:40, is 17 minutes from now.
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{17});
        // Nobody is sent home before the line is served: at 18:40, st1 (usually until 19:00) is the last one, and
        // a newcomer behind st1's cut is expected after it (the median of a cut as learned from the 30 and 25 minutes
        // seen), not never.
        s.at(utc(2024, 6, 5, 14, 10)).given(cancel(3), complete(1));
        s.at(utc(2024, 6, 5, 14, 15)).given(complete(2), clock_out("st2"));
        s.at(utc(2024, 6, 5, 17, 40)).given(walk_in("last"), start("st1", 4), walk_in("late"));
        CHECK(waits_min(predicted_view(s)) == std::vector<std::optional<std::int64_t>>{26});
    }

    TEST_CASE("usual shifts: a lunch break's clock-out and -in are not a shift's end and start") {
        // st1 and st2 work 09-19 local (08-18 UTC), st2 with a lunch break 12-13, four days running.
        auto s = staffed_salon();
        for (unsigned day = 1; day <= 4; ++day) {
            s.at(utc(2024, 6, day, 8)).given(clock_in("st1"), clock_in("st2"));
            s.at(utc(2024, 6, day, 11)).given(clock_out("st2"));
            s.at(utc(2024, 6, day, 12)).given(clock_in("st2"));
            s.at(utc(2024, 6, day, 18)).given(clock_out("st1"), clock_out("st2"));
        }
        // The fifth day, 14:00 local, after st2's lunch: a line of eight cuts, nobody in service.
        s.at(utc(2024, 6, 5, 8)).given(clock_in("st1"), clock_in("st2"));
        s.at(utc(2024, 6, 5, 11)).given(clock_out("st2"));
        s.at(utc(2024, 6, 5, 12)).given(clock_in("st2"));
        s.at(utc(2024, 6, 5, 13));
        walk_ins(s, 8);
        auto const v = predicted_view(s);
        auto const* st2 = v.observed.find_staff(sid("st2"));
        REQUIRE(st2 != nullptr);
        CHECK(st2->clock_in_min == 9 * 60);
        CHECK(st2->clock_out_min == 19 * 60);
        CHECK(st2->clock_ins == 5); // shift days, not clock events
        CHECK(st2->clock_outs == 4);
        CHECK(st2->out_pending == utc(2024, 6, 5, 11)); // the lunch break's, until a later one replaces it
        auto back = decode_view(encode_view(v));
        REQUIRE(back.has_value());
        CHECK(*back == v);
        // Both stay to 19:00: two chairs all along (st2 was thought to leave at 15:02, and st1 to serve the rest).
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{0, 0, 22, 31, 49, 64, 79, 92});
    }

    TEST_CASE("usual shifts: a shift past midnight does not wrap") {
        // st1 clocks out at 23:50 local one day and 00:10 the next night: its usual end is midnight, not noon.
        auto s = staffed_salon();
        s.at(utc(2024, 6, 3, 15)).given(clock_in("st1"));
        s.at(utc(2024, 6, 3, 22, 50)).given(clock_out("st1"));
        s.at(utc(2024, 6, 4, 15)).given(clock_in("st1"));
        s.at(utc(2024, 6, 4, 23, 10)).given(clock_out("st1"), close_day());
        auto const v = predicted_view(s);
        auto const* st1 = v.observed.find_staff(sid("st1"));
        REQUIRE(st1 != nullptr);
        CHECK(st1->clock_outs == 2);
        CHECK(st1->clock_out_min == 0);
        CHECK(st1->clock_in_min == 16 * 60);
    }

    TEST_CASE("usual shifts: a staff member with no known end does not send the others home") {
        auto s = staffed_salon();
        for (unsigned day = 3; day <= 4; ++day) { // st1 works 09-15 local; st2 has never clocked in
            s.at(utc(2024, 6, day, 8)).given(clock_in("st1"));
            s.at(utc(2024, 6, day, 14)).given(clock_out("st1"));
        }
        // The third day, 14:40 local: st1 and st2 on duty, four cuts waiting. st2 is expected to stay as long as
        // st1 (the latest known end), not forever, so st1 is the last to leave and serves to the end.
        s.at(utc(2024, 6, 5, 8)).given(clock_in("st1"), clock_in("st2"));
        s.at(utc(2024, 6, 5, 13, 40));
        walk_ins(s, 4);
        // Two chairs: the third cut waits for the first of two ends, the fourth for the second (st1 was sent home at
        // 15:00, 20 minutes from now, and st2 served the rest alone).
        CHECK(waits_min(predicted_view(s)) == std::vector<std::optional<std::int64_t>>{0, 0, 22, 31});
    }

    TEST_CASE("the usual last start: a start after it is told as not today, with its chance; past it, no close") {
        auto s = staffed_salon();
        std::uint64_t ticket = 0;
        for (unsigned day = 3; day <= 4; ++day) { // the last start of each day is at 19:00 local (18:00 UTC)
            s.at(utc(2024, 6, day, 8)).given(clock_in("st1"));
            s.at(utc(2024, 6, day, 18)).given(walk_in("last"), start("st1", ++ticket));
            s.after(minutes{30}).given(complete(ticket), clock_out("st1"), close_day());
        }
        // The third day at 18:30 local: st1 starts a cut, two more wait. The close is the end of 19:00's minute.
        s.at(utc(2024, 6, 5, 8)).given(clock_in("st1"));
        s.at(utc(2024, 6, 5, 17, 30)).given(walk_in("a"), walk_in("b"), walk_in("c"), start("st1", ticket + 1));
        auto const v = predicted_view(s);
        CHECK(v.observed.close.last_start_min == 19 * 60);
        CHECK(v.observed.close.days == 2);
        auto const today = [](std::optional<predicted_start> const& e) { return e ? e->today_pct : -1; };
        // b starts after a's cut (27 minutes), in most runs before the close; c after two cuts, in few of them: it is
        // told the start of those, before the close, and the chance of it (the whole line's runs say 56 minutes).
        auto const w = waits_min(v);
        CHECK(w == std::vector<std::optional<std::int64_t>>{23, 31});
        CHECK(today(v.waiting[0].expected) == 61);
        CHECK(today(v.waiting[1].expected) == 0); // the close itself: "not today, likely"
        CHECK(join_min(v) == 31);
        CHECK(today(v.join_now) == 0);
        // Past the usual last start with a line still there, the salon is serving later than usual: no close is
        // assumed, and c is told the whole line's start.
        s.at(utc(2024, 6, 5, 18, 2)).given(walk_in("d"));
        auto const past = predicted_view(s);
        CHECK(waits_min(past)[1] == 36);
        CHECK(today(past.waiting[1].expected) == 100);
        CHECK(today(past.join_now) == 100);
    }

    TEST_CASE("the usual last start: a quiet evening does not bring it forward; a day that ends with a line does") {
        auto s = staffed_salon();
        std::uint64_t ticket = 0;
        auto const day = [&](unsigned d, int last_start_utc_hour, bool line_left) {
            s.at(utc(2024, 6, d, 8)).given(clock_in("st1"));
            s.at(utc(2024, 6, d, last_start_utc_hour)).given(walk_in("last"), start("st1", ++ticket));
            if (line_left) {
                s.given(walk_in("too late"));
                ++ticket;
            }
            s.after(minutes{30}).given(complete(line_left ? ticket - 1 : ticket), clock_out("st1"), close_day());
        };
        day(3, 18, false); // 19:00 local
        day(4, 18, false);
        day(5, 13, false); // 14:00: nobody came after, the salon did not stop early
        CHECK(predicted_view(s).observed.close.last_start_min == 19 * 60);
        day(6, 14, true); // 15:00, and one left waiting at the close: the salon stopped; a tenth of the way down
        CHECK(predicted_view(s).observed.close.last_start_min == 19 * 60 - 24);
        day(7, 19, false); // 20:00: a later one moves it up at once, line or not
        CHECK(predicted_view(s).observed.close.last_start_min == 20 * 60);
    }

    TEST_CASE("the usual last start per weekday: a salon that stops early on Saturdays is told so on Saturdays") {
        auto s = staffed_salon();
        std::uint64_t ticket = 0;
        // June 2024, Europe/London: Monday to Friday the last start is at 19:00 local; Saturdays at 15:00, with a
        // line still waiting at the close (the salon stopped, not the customers); closed on Sundays.
        auto const day = [&](unsigned d, int last_start_local_hour) {
            s.at(utc(2024, 6, d, 8)).given(clock_in("st1"));
            s.at(utc(2024, 6, d, last_start_local_hour - 1)).given(walk_in("last"), start("st1", ++ticket));
            s.given(walk_in("too late"));
            ++ticket;
            s.after(minutes{30}).given(complete(ticket - 1), clock_out("st1"), close_day());
        };
        for (unsigned week = 0; week < 2; ++week) {
            for (unsigned d = 3; d <= 7; ++d) {
                day(d + 7 * week, 19);
            }
            day(8 + 7 * week, 15);
        }
        auto const learned = predicted_view(s).observed;
        CHECK(learned.close_by_weekday[0] == usual_close{19 * 60, 2}); // Mondays
        CHECK(learned.close_by_weekday[4] == usual_close{19 * 60, 2}); // Fridays
        CHECK(learned.close_by_weekday[5] == usual_close{15 * 60, 2}); // Saturdays
        CHECK(learned.close_by_weekday[6] == usual_close{});           // Sundays: never closed, never seen
        CHECK(learned.close.days == 12);
        CHECK(learned.close.last_start_min == 19 * 60 - 24); // the salon's: Saturday brought it down a tenth
        // Fridays' own is within the hour of the salon's, learned on six times as many days: the salon's is used.
        constexpr local_day june_21 = 19'895; // a Friday
        CHECK(learned.close_on(june_21) == &learned.close);
        CHECK(learned.close_on(june_21 + 1) == &learned.close_by_weekday[5]);
        CHECK(learned.close_on(june_21 + 2) == &learned.close); // Sundays: never seen

        // Friday 21 and Saturday 22 June at 14:00 local: st1 starts a cut, three more wait (cuts of 30 minutes).
        auto const at_two = [&](unsigned d) {
            auto t = s;
            t.at(utc(2024, 6, d, 8)).given(clock_in("st1"));
            t.at(utc(2024, 6, d, 13)).given(walk_in("a"), walk_in("b"), walk_in("c"), walk_in("d"));
            t.given(start("st1", ticket + 1));
            return predicted_view(t);
        };
        auto const today = [](std::optional<predicted_start> const& e) { return e ? e->today_pct : -1; };
        auto const friday = at_two(21);
        auto const saturday = at_two(22);
        // Friday closes at 19:00: every one of them starts today. Saturday's close is 15:00: c (after two cuts,
        // about 15:00) in about half the runs, d (about 15:30) in few; a walk-in now is told the close itself.
        for (auto const& w : friday.waiting) {
            CHECK(today(w.expected) == 100);
        }
        CHECK(today(friday.join_now) == 100);
        REQUIRE(saturday.waiting.size() == 3);
        CHECK(today(saturday.waiting[0].expected) == 100);
        CHECK(today(saturday.waiting[1].expected) == doctest::Approx(50).epsilon(0.4));
        CHECK(today(saturday.waiting[2].expected) < 20);
        CHECK(today(saturday.join_now) == 0);

        // It round-trips through the stored view; a view stored before it was kept reads as none (the salon's
        // close stands in on every weekday until each is seen twice).
        auto const v = predicted_view(s);
        auto const json = encode_view(v);
        auto const back = decode_view(json);
        REQUIRE_MESSAGE(back.has_value(), back.error().path << ": " << back.error().message);
        CHECK(back->observed == v.observed);
        auto old = json;
        auto const from = old.find(",\"lastStartByWeekday\":");
        REQUIRE(from != std::string::npos);
        old.erase(from, old.find(']', from) + 1 - from);
        auto const before = decode_view(old);
        REQUIRE_MESSAGE(before.has_value(), before.error().path << ": " << before.error().message);
        CHECK(before->observed.close_by_weekday == std::array<usual_close, 7>{});
        CHECK(before->observed.close == v.observed.close);
    }

    TEST_CASE("tickets still waiting when the day is closed did not leave the line") {
        auto const leaves = [](queue_view const& v) {
            std::int64_t n = 0;
            for (auto const& band : v.observed.leaving) {
                n += band.leaves;
            }
            return n;
        };
        auto s = open_salon();
        walk_ins(s, 4);
        s.given(start("st1", 1));
        s.after(minutes{20}).given(cancel(2));   // one leaves
        s.after(minutes{60}).given(close_day()); // two are still waiting at closing: no-shows, but not leaves
        auto const v = predicted_view(s);
        // One leave (decayed a little by the outcomes after it), where the no-shows made three.
        CHECK(leaves(v) == doctest::Approx(ratio_one).epsilon(0.01));
        CHECK(v.observed.leaving[2].exposure_ms > 0); // their time in the queue counts (80 minutes: bands 1-4)
        CHECK(v.observed.leaving[3].exposure_ms > 0);
    }

    TEST_CASE("tickets that tend to leave are waited for less") {
        auto const line = [](scenario& s) {
            s.given(clock_out("st2"));
            for (int i = 0; i < 4; ++i) {
                s.given(walk_in("w" + std::to_string(i)));
            }
        };
        auto patient = open_salon();
        serve_cuts(patient, "st1", 1, 10, minutes{30});
        line(patient);
        auto leaving = open_salon();
        serve_cuts(leaving, "st1", 1, 10, minutes{30});
        for (std::uint64_t t = 11; t <= 20; ++t) { // ten who left after 20 minutes in line
            leaving.given(walk_in("gone"));
            leaving.after(minutes{20}).given(cancel(t));
        }
        line(leaving);
        auto const p = predicted_view(patient);
        auto const l = predicted_view(leaving);
        auto const w = waits_min(l);
        auto const wp = waits_min(p);
        CHECK(w[0] == 0);
        CHECK(w[1] == wp[1]); // the first in line is served now and stays: no discount on it
        CHECK(*wp[3] > 80);
        CHECK(*w[3] < *wp[3]);
        CHECK(*w[2] <= *w[3]);
    }

    TEST_CASE("leaves seen within a minute of joining are not stretched over the band's 15 (a demo's time lapse)") {
        auto s = open_salon();
        s.given(clock_out("st2"));
        std::uint64_t t = 1;
        for (int i = 0; i < 10; ++i, ++t) { // each called after 30 s in line, and served 30 minutes
            s.given(walk_in("c" + std::to_string(t)));
            s.after(std::chrono::seconds{30}).given(start("st1", t));
            s.after(minutes{30}).given(complete(t));
        }
        for (int i = 0; i < 3; ++i, ++t) { // and three who left after a minute
            s.given(walk_in("gone"));
            s.after(minutes{1}).given(cancel(t));
        }
        s.given(walk_in("now"), start("st1", t)); // one chair, busy for the next half hour
        walk_ins(s, 4);
        auto const v = predicted_view(s);
        // The first band's hazard, 3 leaves over 8 minutes in line, would have every ticket ahead gone long before
        // its call, and all four told when the chair frees; but only 3 of the 14 called or gone left in that band.
        auto const w = waits_min(v);
        REQUIRE(w.size() == 4);
        CHECK(*w[0] < *w[1]);
        CHECK(*w[1] < *w[2]);
        CHECK(*w[2] < *w[3]);
        CHECK(v.observed.leaving[0].entered == doctest::Approx(14 * ratio_one).epsilon(0.05));

        // A view stored before `entered` was kept reads as none: no cap (and the waits of before).
        auto old = encode_view(v);
        for (auto at = old.find(",\"entered\":"); at != std::string::npos; at = old.find(",\"entered\":")) {
            old.erase(at, old.find('}', at) - at);
        }
        auto const back = decode_view(old);
        REQUIRE_MESSAGE(back.has_value(), back.error().path << ": " << back.error().message);
        CHECK(back->observed.leaving[0].entered == 0);
        CHECK(back->observed.leaving[0].leaves == v.observed.leaving[0].leaves);
    }

    TEST_CASE("nobody on duty: no estimate, and a newcomer none either") {
        auto s = open_salon();
        s.given(clock_out("st1"), clock_out("st2"));
        walk_ins(s, 2);
        auto const v = predicted_view(s);
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{std::nullopt, std::nullopt});
        CHECK_FALSE(v.join_now.has_value());
        CHECK_FALSE(v.waiting[0].join_wait.has_value());
    }

    TEST_CASE("restart: the learned pace round-trips through the view's JSON, and so does the view") {
        auto s = open_salon();
        serve_cuts(s, "st1", 1, 5, minutes{35});
        serve_cuts(s, "st2", 6, 5, minutes{25});
        s.given(walk_in("x"), walk_in("y"), walk_in("z"));
        s.after(minutes{3}).given(start("st1", 11));
        s.after(minutes{40}).given(cancel(13));
        auto const v = predicted_view(s);
        CHECK(v.observed.leaving[2].leaves > 0);
        auto back = decode_view(encode_view(v));
        REQUIRE_MESSAGE(back.has_value(), back.error().path << ": " << back.error().message);
        CHECK(*back == v);
        observed_estimator{}.estimate(*back);
        CHECK(*back == v);
    }
}

} // namespace
} // namespace salonq::test
