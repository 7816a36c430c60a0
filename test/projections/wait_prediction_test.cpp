// Scenario tests of the wait predictor (observed_estimator and the pace the view learns, view.observed): given
// events (decided and folded by the real domain), then the view's estimates. The catalogue of open_salon: cut 30,
// beard 15, color 90 minutes; staff st1 and st2 on duty.

#include "projections/queue/observed_estimator.hpp"
#include "projections/queue/view_codec.hpp"
#include "test/engine/scenario.hpp"

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

TEST_SUITE("projections.wait_prediction") {
    TEST_CASE("by hand: two staff, one 10 minutes into a 30-minute cut, two cuts waiting") {
        auto s = open_salon();
        walk_ins(s, 4);
        s.given(start("st1", 1));                    // 08:00, until 08:30
        s.after(minutes{10}).given(start("st2", 2)); // 08:10, until 08:40
        auto const v = predicted_view(s);
        CHECK(v.updated_at == utc(2024, 6, 3, 8, 10));
        // c3 waits for st1 (free at 08:30), c4 for st2 (08:40); a newcomer for st1 again, after c3 (09:00).
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{20, 30});
        CHECK(v.waiting[0].expected->start == utc(2024, 6, 3, 8, 30));
        CHECK(join_min(v) == 50);
        // What c4 was told when it walked in at 08:00: c1 and c2 start at once, c3 and c4 after them.
        CHECK(v.waiting[1].join_wait_ms == 30 * minute_ms);
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
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{0, cut_ms / minute_ms});
    }

    TEST_CASE("recency weighting: the salon's recent pace counts more than its old one") {
        auto s = open_salon();
        s.given(clock_out("st2"));
        serve_cuts(s, "st1", 1, 30, minutes{30});
        serve_cuts(s, "st1", 31, 10, minutes{45});
        s.given(walk_in("next"), walk_in("after"));
        auto const v = predicted_view(s);
        auto const second = v.waiting[1].expected->wait_ms / minute_ms;
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
        CHECK(waits_min(p) == std::vector<std::optional<std::int64_t>>{0, 30, 60, 90});
        auto const w = waits_min(l);
        CHECK(w[0] == 0);
        CHECK(w[1] == 30); // the first in line is served now and stays: no discount on it
        CHECK(*w[3] < 90);
        CHECK(*w[2] <= *w[3]);
    }

    TEST_CASE("nobody on duty: no estimate, and a newcomer none either") {
        auto s = open_salon();
        s.given(clock_out("st1"), clock_out("st2"));
        walk_ins(s, 2);
        auto const v = predicted_view(s);
        CHECK(waits_min(v) == std::vector<std::optional<std::int64_t>>{std::nullopt, std::nullopt});
        CHECK_FALSE(v.join_now.has_value());
        CHECK_FALSE(v.waiting[0].join_wait_ms.has_value());
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
