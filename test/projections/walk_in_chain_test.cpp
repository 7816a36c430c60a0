// Scenario tests of walk-ins in a row (estimate_basis; observed_estimator::estimate_walk_in): given events folded as
// the queue views fold them, a walk-in that follows another within 30 seconds of the chain's first is placed after
// the line's schedule; the earlier tickets keep their starts. open_salon's catalogue (cut 30 minutes), st1 and st2 on
// duty from 2024-06-03 08:00 UTC.

#include "projections/queue/observed_estimator.hpp"
#include "projections/queue/view_codec.hpp"
#include "test/engine/scenario.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace salonq::test {
namespace {

using namespace salonq::projections;
using std::chrono::milliseconds;
using std::chrono::seconds;

observed_estimator const predictor;

// One event folded as queue_views folds it: a walk-in with its estimate (apply_and_record_join), anything else
// followed by a whole estimate (as at the end of a batch).
void fold(queue_view& v, event const& e) {
    apply_and_record_join(v, e, predictor);
    if (!std::holds_alternative<evt::ticket_issued>(e.body)) {
        predictor.estimate(v);
    }
}

// The views after each event of `events`, folded from `v`.
std::vector<queue_view> steps(std::span<event const> events, queue_view v = {}) {
    std::vector<queue_view> out;
    for (auto const& e : events) {
        fold(v, e);
        out.push_back(v);
    }
    return out;
}

// The same view with every estimate worked out over the whole line.
queue_view whole(queue_view v) {
    predictor.estimate(v);
    return v;
}

// A salon with st1 and st2 each 5 minutes into a cut and four cuts waiting, then walk-ins `apart` from each other.
// Earlier that morning six walk-ins left after 2 to 7 minutes in line, so tickets are expected to leave too.
scenario busy_salon(int walk_ins_after, milliseconds apart) {
    auto s = open_salon();
    for (std::uint64_t id = 1; id <= 6; ++id) {
        s.given(walk_in("gone" + std::to_string(id)));
        s.after(std::chrono::minutes{1 + id}).given(cancel(id));
    }
    walk_ins(s, 6);
    s.given(start("st1", 7), start("st2", 8));
    s.after(std::chrono::minutes{5});
    for (int i = 0; i < walk_ins_after; ++i) {
        s.after(apart).given(walk_in("w" + std::to_string(i)));
    }
    return s;
}

// Two days that taught the salon its usual last start, 19:00 local (18:00 UTC; Europe/London in June), so its close is
// the end of that minute, 19:01:00; then the third day's line from 18:50 local, st1 and st2 in cuts and six waiting,
// and walk-ins `apart` from each other from 19:00:45.
scenario closing_salon(int walk_ins_after, milliseconds apart) {
    auto s = open_salon();
    std::uint64_t ticket = 0;
    for (unsigned day = 3; day <= 4; ++day) {
        s.at(utc(2024, 6, day, 18)).given(walk_in("last"), start("st1", ++ticket));
        s.after(std::chrono::minutes{30}).given(complete(ticket), close_day());
    }
    s.at(utc(2024, 6, 5, 17, 50));
    walk_ins(s, 8);
    s.given(start("st1", ticket + 1), start("st2", ticket + 2));
    s.at(utc(2024, 6, 5, 18) + seconds{45} - apart);
    for (int i = 0; i < walk_ins_after; ++i) {
        s.after(apart).given(walk_in("w" + std::to_string(i)));
    }
    return s;
}

// Folds `events` as the stats do, taking the views' join-time estimates for two walk-ins in three (folded without an
// estimate: continue_chain alone) and working out the others; each of those must be the views' own.
void check_fold_taking_estimates(std::vector<event> const& events) {
    auto const views = steps(events);
    queue_view v;
    for (std::size_t i = 0; i < events.size(); ++i) {
        auto const& e = events[i];
        auto const* issued = std::get_if<evt::ticket_issued>(&e.body);
        if (issued != nullptr && i % 3 != 0) { // taken: folded without an estimate
            apply(v, e);
            (void)continue_chain(v, issued->ticket);
            v.waiting.back().join_wait = views[i].waiting.back().join_wait;
            v.waiting.back().expected.reset();
            continue;
        }
        apply_and_record_join(v, e, predictor);
        if (issued != nullptr) {
            CAPTURE(i);
            CHECK(v.waiting.back().join_wait == views[i].waiting.back().join_wait);
            CHECK(v.waiting.back().expected == views[i].waiting.back().expected);
        }
    }
    CHECK(v.basis == views.back().basis);
}

} // namespace

TEST_SUITE("projections.walk_in_chain") {
    TEST_CASE("walk-ins at one moment: a chain's estimates are those of the whole line") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.given(start("st1", 1));
        s.after(std::chrono::minutes{4});
        for (int i = 0; i < 8; ++i) {
            s.given(walk_in("w" + std::to_string(i)));
        }
        auto const views = steps(s.history());
        auto const& last = views.back();
        CHECK(last.basis.seq == last.seq);
        CHECK(last.basis.seq.value() - last.basis.first.value() == 7); // one chain of eight
        for (std::size_t i = views.size() - 8; i < views.size(); ++i) {
            CAPTURE(i);
            CHECK(views[i] == whole(views[i]));
            CHECK(encode_view(views[i]) == encode_view(whole(views[i])));
        }
    }

    TEST_CASE("walk-ins 5 seconds apart: those ahead keep their starts, their waits count down, the newest is last") {
        auto const s = busy_salon(4, seconds{5});
        auto const views = steps(s.history());
        auto const& before = views[views.size() - 2];
        auto const& after = views.back();
        REQUIRE(after.waiting.size() == before.waiting.size() + 1);
        CHECK(after.basis.first.value() + 3 == after.seq.value()); // the four walk-ins are one chain
        for (std::size_t i = 0; i < before.waiting.size(); ++i) {
            CAPTURE(i);
            auto const& was = *before.waiting[i].expected;
            auto const& now = *after.waiting[i].expected;
            CHECK(now.start == was.start);
            CHECK(now.wait_ms == std::max<std::int64_t>(0, was.wait_ms - 5'000));
            CHECK(now.low_ms == std::max<std::int64_t>(0, was.low_ms - 5'000));
            CHECK(now.high_ms == std::max<std::int64_t>(0, was.high_ms - 5'000));
        }
        auto const& newest = *after.waiting.back().expected;
        CHECK(newest.start >= after.waiting[after.waiting.size() - 2].expected->start);
        CHECK(after.join_now->start >= newest.start);
        // Within a minute of what the whole line placed now would say (the clock moved 15 seconds since the chain's
        // first walk-in; the tickets in service are 15 seconds further into their cuts).
        auto const again = whole(after);
        for (std::size_t i = 0; i < after.waiting.size(); ++i) {
            CAPTURE(i);
            auto const apart = after.waiting[i].expected->start - again.waiting[i].expected->start;
            CHECK(std::chrono::abs(apart) <= std::chrono::minutes{1});
        }
        CHECK(after.waiting.back().join_wait == told_wait{newest.wait_ms, newest.low_ms, newest.high_ms});
    }

    TEST_CASE("a chain 30 seconds old is placed again over the whole line") {
        auto const s = busy_salon(5, seconds{10}); // at +10, +20, +30, +40, +50 s
        auto const views = steps(s.history());
        auto const n = views.size();
        // The first walk-in begins the chain; +20 and +30 s continue it; at +40 s it is 30 seconds old.
        CHECK(views[n - 3].basis.first == views[n - 5].seq);
        CHECK(views[n - 2].basis.first == views[n - 2].seq);
        CHECK(views[n - 2] == whole(views[n - 2]));
        CHECK(views[n - 1].basis.first == views[n - 2].seq);
        CHECK(views[n - 3].waiting.front().expected->start == views[n - 5].waiting.front().expected->start);
    }

    TEST_CASE("another event between two walk-ins ends the chain") {
        auto s = busy_salon(2, seconds{5});
        s.after(seconds{5}).given(cancel(9));
        s.after(seconds{5}).given(walk_in("after the cancel"));
        auto const views = steps(s.history());
        auto const& last = views.back();
        CHECK(last.basis.first == last.seq);
        CHECK(last == whole(last));
    }

    TEST_CASE("a view read back from its stored JSON goes on as the one that stayed in memory") {
        auto s = busy_salon(6, seconds{4});
        s.after(seconds{3}).given(complete(7), start("st1", 9));
        for (int i = 0; i < 6; ++i) {
            s.after(seconds{7}).given(walk_in("x" + std::to_string(i)));
        }
        auto const& events = s.history();
        auto const views = steps(events);
        for (std::size_t split = events.size() - 14; split < events.size(); ++split) {
            CAPTURE(split);
            auto resumed = decode_view(encode_view(views[split - 1]));
            REQUIRE(resumed.has_value());
            auto const rest = steps(std::span{events}.subspan(split), std::move(*resumed));
            for (std::size_t i = 0; i < rest.size(); ++i) {
                CAPTURE(i);
                CHECK(rest[i] == views[split + i]);
                CHECK(encode_view(rest[i]) == encode_view(views[split + i]));
            }
        }
    }

    TEST_CASE("a fold that took some of a chain's estimates from elsewhere works out the others as the views did") {
        // The stats' fold takes the views' join-time estimates from a board and works out those it does not find;
        // taking one moves its chain on without an estimate (continue_chain alone).
        check_fold_taking_estimates(busy_salon(8, seconds{3}).history());
        // Near the close, where each walk-in's estimate is raised to the one ahead of it (the runs before the close
        // thin out along the line): the one ahead's is the fold's own, not a stored estimate the stats do not keep.
        check_fold_taking_estimates(closing_salon(8, seconds{3}).history());
    }

    TEST_CASE("a chain that passes the usual last start: its later walk-ins are told the whole line's start") {
        auto const views = steps(closing_salon(4, seconds{8}).history()); // 19:00:45, :53, 19:01:01, :09 local
        auto const n = views.size();
        CHECK(views[n - 1].basis.first == views[n - 4].seq); // one chain
        auto const today = [](queue_view const& v) { return v.waiting.back().expected->today_pct; };
        CHECK(today(views[n - 4]) == 0); // before the close, with six ahead in two chairs: likely not today
        CHECK(today(views[n - 3]) == 0);
        for (std::size_t i = n - 2; i < n; ++i) { // past it: no close is assumed, as over the whole line
            CAPTURE(i);
            auto const again = whole(views[i]);
            CHECK(today(views[i]) == 100);
            CHECK(today(again) == 100);
            CHECK(views[i].join_now->today_pct == 100);
            auto const apart = views[i].waiting.back().expected->start - again.waiting.back().expected->start;
            CHECK(std::chrono::abs(apart) <= std::chrono::minutes{1});
        }
    }

    TEST_CASE("the stored form keeps the chain; the served form does not show it") {
        auto const views = steps(busy_salon(2, seconds{5}).history());
        auto const& v = views.back();
        auto const stored = encode_view(v);
        CHECK(stored.find("\"estimateBasis\":{\"seq\":" + std::to_string(v.seq.value())) != std::string::npos);
        CHECK(encode_view(v, view_form::served).find("estimateBasis") == std::string::npos);
        auto back = decode_view(stored);
        REQUIRE(back.has_value());
        CHECK(back->basis == v.basis);
        CHECK(back->schedule.placed == 0); // the cache is not stored
    }
}

} // namespace salonq::test
