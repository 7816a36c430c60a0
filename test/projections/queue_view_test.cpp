// Scenario tests of the queue view: given events (decided and folded by the real domain), then the view. Every
// case also checks the view's line against the engine's own state, so the projection and evolve cannot drift.

#include "projections/queue/view_codec.hpp"
#include "projections/queue/wait_estimator.hpp"
#include "test/engine/scenario.hpp"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace salonq::test {
namespace {

using namespace salonq::projections;
using std::chrono::minutes;

queue_view view_of(scenario const& s) {
    queue_view v;
    for (auto const& e : s.history()) {
        apply(v, e);
    }
    list_schedule_estimator{}.estimate(v);
    return v;
}

template <typename C>
std::vector<std::uint64_t> ids(C const& tickets) {
    std::vector<std::uint64_t> out;
    out.reserve(tickets.size());
    for (auto const& t : tickets) {
        out.push_back(t.id.value());
    }
    return out;
}

// Checks what every view must be, whatever happened: positions 1..n in line order, the same line as the engine's.
void check_consistent(queue_view const& v, scenario const& s) {
    CHECK(v.seq == s.state().seq);
    CHECK(ids(v.waiting) == waiting_ids(s.state()));
    for (std::size_t i = 0; i < v.waiting.size(); ++i) {
        CHECK(v.waiting[i].position == i + 1);
    }
    CHECK(v.waiting.size() + v.serving.size() + v.skipped.size() == s.state().tickets.size());
}

std::optional<std::int64_t> wait_min(waiting_ticket const& t) {
    return t.expected ? std::optional{t.expected->wait_ms / minute_ms} : std::nullopt;
}

TEST_SUITE("projections.queue_view") {
    TEST_CASE("walk-ins join the line in order, by name only: the phone never enters the view") {
        auto s = open_salon();
        s.given(walk_in(customer{"Ann", "+44 7700 900123", customer_id{"loyal-1"}}));
        s.after(minutes{2}).given(walk_in(customer{"", "555 0100", std::nullopt}, {"cut", "beard"}));
        auto const v = view_of(s);
        check_consistent(v, s);
        CHECK(v.salon == salon_id{"s1"});
        CHECK(v.name == "Salon One");
        CHECK(v.timezone == "Europe/London");
        CHECK(v.seq == seq_t{10});
        CHECK(v.updated_at == utc(2024, 6, 3, 8, 2));
        REQUIRE(v.waiting.size() == 2);
        CHECK(v.waiting[0].name == "Ann");
        CHECK(v.waiting[0].services == std::vector<std::string>{"cut"});
        CHECK(v.waiting[0].duration_min == 30);
        CHECK(v.waiting[0].joined_at == utc(2024, 6, 3, 8, 0));
        CHECK(v.waiting[1].name.empty());
        CHECK(v.waiting[1].duration_min == 45);
        CHECK(v.waiting[1].place == 2);
        CHECK(v.waiting[0].tok == s.ticket_of(1).tok);
        auto const json = encode_view(v);
        for (auto const* secret : {"7700", "555 0100", "loyal-1", "phone", "customerId"}) {
            CAPTURE(secret);
            CHECK(json.find(secret) == std::string::npos);
        }
        auto const ticket = encode_ticket(v, tid(2));
        REQUIRE(ticket.has_value());
        CHECK(ticket->find("555") == std::string::npos);
    }

    struct moves_case {
        char const* name;
        std::vector<command_body> steps; // after walk-ins 1, 2 and 3
        std::vector<std::uint64_t> waiting, serving, skipped;
        std::vector<std::pair<std::uint64_t, ticket_status>> ended;
    };

    TEST_CASE("each event puts a ticket where the engine puts it") {
        using ts = ticket_status;
        std::vector<moves_case> const cases{
            {"three walk-ins", {}, {1, 2, 3}, {}, {}, {}},
            {"start the next", {start("st1")}, {2, 3}, {1}, {}, {}},
            {"start a given ticket", {start("st1", 3)}, {1, 2}, {3}, {}, {}},
            {"two staff start", {start("st1"), start("st2")}, {3}, {1, 2}, {}, {}},
            {"complete", {start("st1"), complete(1)}, {2, 3}, {}, {}, {{1, ts::completed}}},
            {"skip", {skip(2)}, {1, 3}, {}, {2}, {}},
            {"undo-skip: back to its place", {skip(2), undo_skip(2)}, {1, 2, 3}, {}, {}, {}},
            {"undo-skip after the line moved on", {skip(1), start("st1"), undo_skip(1)}, {1, 3}, {2}, {}, {}},
            {"cancel a waiting ticket", {cancel(2)}, {1, 3}, {}, {}, {{2, ts::cancelled}}},
            {"cancel a skipped ticket", {skip(2), cancel(2)}, {1, 3}, {}, {}, {{2, ts::cancelled}}},
            {"close the day: the waiting and the skipped are no-shows",
             {skip(2), start("st1"), close_day()},
             {},
             {1},
             {},
             {{2, ts::no_show}, {3, ts::no_show}}},
            {"a day's whole round",
             {start("st1"), skip(2), start("st2"), complete(1), undo_skip(2), complete(3), start("st1")},
             {},
             {2},
             {},
             {{1, ts::completed}, {3, ts::completed}}},
        };
        for (auto const& c : cases) {
            CAPTURE(std::string{c.name});
            auto s = open_salon();
            walk_ins(s, 3);
            for (auto const& step : c.steps) {
                s.after(minutes{1}).given(step);
            }
            auto const v = view_of(s);
            check_consistent(v, s);
            CHECK(ids(v.waiting) == c.waiting);
            CHECK(ids(v.serving) == c.serving);
            CHECK(ids(v.skipped) == c.skipped);
            std::vector<std::pair<std::uint64_t, ticket_status>> ended;
            for (auto const& e : v.recently_ended) {
                ended.emplace_back(e.id.value(), e.status);
                CHECK(e.at > utc(2024, 6, 3, 8, 0)); // when it ended, not when it joined
            }
            CHECK(ended.size() == c.ended.size());
            for (std::size_t i = 0; i < ended.size() && i < c.ended.size(); ++i) {
                CHECK(ended[i].first == c.ended[i].first);
                CHECK(to_string(ended[i].second) == to_string(c.ended[i].second));
            }
        }
    }

    TEST_CASE("an earlier view caught up equals the later one, whatever moved in the line") {
        std::vector<std::pair<char const*, std::vector<command_body>>> const cases{
            {"a walk-in at the end", {walk_in("Dana")}},
            {"the first starts", {start("st1")}},
            {"a ticket in the middle starts", {start("st1", 3)}},
            {"a skip, then an undo-skip back to its place", {skip(2), undo_skip(2)}},
            {"a cancel and two walk-ins", {cancel(1), walk_in("Eve"), walk_in("Finn")}},
            {"the day closes: the line empties", {close_day()}},
        };
        for (auto const& [name, steps] : cases) {
            CAPTURE(std::string{name});
            auto s = open_salon();
            walk_ins(s, 4);
            auto const before = view_of(s);
            for (auto const& step : steps) {
                s.after(minutes{1}).given(step);
            }
            auto const after = view_of(s);
            auto caught = before;
            catch_up_view(caught, after);
            CHECK(caught == after);
            CHECK(encode_view(caught) == encode_view(after));
        }
    }

    TEST_CASE("catching up copies a ticket that is not the same one at the same place") {
        auto s = open_salon();
        walk_ins(s, 3);
        auto const later = view_of(s);
        auto earlier = later;
        earlier.waiting[1].id = engine::ticket_id{99}; // another ticket at place 2, with another card
        earlier.waiting[1].name = "Someone else";
        earlier.waiting[2].joined_at += minutes{5}; // the same id joined at another time: not the same ticket either
        earlier.waiting[2].services = {"XX"};
        catch_up_view(earlier, later);
        CHECK(earlier == later);
    }

    TEST_CASE("a served ticket names its staff member, its start and its expected end") {
        auto s = open_salon();
        s.given(walk_in("Ann", {"cut", "beard"}));
        s.after(minutes{10}).given(start("st2"));
        auto const v = view_of(s);
        REQUIRE(v.serving.size() == 1);
        auto const& t = v.serving.front();
        CHECK(t.staff == sid("st2"));
        CHECK(t.staff_name == "Name of st2");
        CHECK(t.started_at == utc(2024, 6, 3, 8, 10));
        CHECK(t.expected_end == utc(2024, 6, 3, 8, 55));
        CHECK(t.joined_at == utc(2024, 6, 3, 8, 0));
        CHECK_FALSE(t.priority.has_value());
        CHECK(v.find_staff(sid("st2"))->serving == tid(1));
        CHECK_FALSE(v.find_staff(sid("st1"))->serving.has_value());
        s.after(minutes{40}).given(complete(1));
        CHECK_FALSE(view_of(s).find_staff(sid("st2"))->serving.has_value());
    }

    TEST_CASE("priority starts count for the salon's local day") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.by(staff_actor("mgr")).given(priority(3, "st1", "medical_urgency"));
        auto v = view_of(s);
        check_consistent(v, s);
        REQUIRE(v.serving.size() == 1);
        CHECK(v.serving[0].priority == priority_reason::medical_urgency);
        CHECK(v.priority_used == 1);
        CHECK(v.config.priority_daily_limit == 5);
        CHECK(v.priority_day == day_number(2024, 6, 3));
        CHECK(encode_view(v).find(R"("priority":{"day":"2024-06-03","used":1,"limit":5})") != std::string::npos);

        // The next local day starts at zero with its first event, as decide counts it.
        s.at(utc(2024, 6, 4, 9, 0)).given(walk_in("Late"));
        v = view_of(s);
        CHECK(v.priority_used == 0);
        CHECK(v.priority_day == day_number(2024, 6, 4));

        // In Kolkata 20:00 UTC is already tomorrow.
        auto k = open_salon("Asia/Kolkata");
        k.at(utc(2024, 6, 3, 20, 0)).given(walk_in("Ann"));
        CHECK(view_of(k).priority_day == day_number(2024, 6, 4));
    }

    TEST_CASE("configure replaces the config and the catalogue; staff clock in and out") {
        auto s = open_salon();
        s.given(set_max_waiting(7), set_priority_limit(2), set_services({{"fade", "Skin fade", 3000, 40}}));
        s.given(clock_out("st2"), clock_in("mgr"));
        auto const v = view_of(s);
        CHECK(v.config.max_waiting == 7);
        CHECK(v.config.priority_daily_limit == 2);
        CHECK(v.services == std::vector<service_def>{{"fade", "Skin fade", 3000, 40}});
        std::vector<std::pair<std::string, bool>> duty;
        duty.reserve(v.staff.size());
        for (auto const& m : v.staff) {
            duty.emplace_back(m.id.value(), m.on_duty);
        }
        CHECK(duty ==
              std::vector<std::pair<std::string, bool>>{{"own", false}, {"mgr", true}, {"st1", true}, {"st2", false}});
        CHECK(v.find_staff(sid("mgr"))->staff_role == role::manager);
    }

    struct estimate_case {
        char const* name;
        std::function<void(scenario&)> given;
        std::vector<std::optional<std::int64_t>> waits_min; // per waiting ticket, in line order
        std::optional<std::int64_t> join_now_min;
    };

    TEST_CASE("estimated waits: the work ahead shared over the staff on duty") {
        auto const cuts = [](scenario& s, int n) { walk_ins(s, n); };
        std::vector<estimate_case> const cases{
            {"two staff, four 30-minute cuts", [&](scenario& s) { cuts(s, 4); }, {0, 0, 30, 30}, 60},
            {"one staff on duty",
             [&](scenario& s) {
                 s.given(clock_out("st2"));
                 cuts(s, 3);
             },
             {0, 30, 60},
             90},
            {"three staff on duty",
             [&](scenario& s) {
                 s.given(clock_in("own"));
                 cuts(s, 4);
             },
             {0, 0, 0, 30},
             30},
            {"nobody on duty: no estimate, not a made-up one",
             [&](scenario& s) {
                 s.given(clock_out("st1"), clock_out("st2"));
                 cuts(s, 2);
             },
             {std::nullopt, std::nullopt},
             std::nullopt},
            {"an empty line: a newcomer starts now", [](scenario&) {}, {}, 0},
            {"services in progress end on time",
             [&](scenario& s) {
                 cuts(s, 4);
                 s.after(minutes{10}).given(start("st1")); // ticket 1 until 08:40
                 s.after(minutes{5}).given(start("st2"));  // ticket 2 until 08:45
             },
             {25, 30},
             55},
            {"an overdue service frees its staff member now",
             [&](scenario& s) {
                 s.given(clock_out("st2"));
                 cuts(s, 2);
                 s.given(start("st1"));
                 s.after(minutes{45}).given(walk_in("Late"));
             },
             {0, 30},
             60},
            {"longer services hold their staff longer",
             [&](scenario& s) {
                 s.given(walk_in("A", {"color"}), walk_in("B", {"cut", "beard"}), walk_in("C", {"beard"}),
                         walk_in("D"));
             },
             {0, 0, 45, 60},
             90},
            {"a skipped ticket is not waited for",
             [&](scenario& s) {
                 cuts(s, 4);
                 s.given(skip(1), clock_out("st2"));
             },
             {0, 30, 60},
             90},
        };
        for (auto const& c : cases) {
            CAPTURE(std::string{c.name});
            auto s = open_salon();
            c.given(s);
            auto const v = view_of(s);
            check_consistent(v, s);
            REQUIRE(v.waiting.size() == c.waits_min.size());
            for (std::size_t i = 0; i < v.waiting.size(); ++i) {
                CAPTURE(i);
                CHECK(wait_min(v.waiting[i]) == c.waits_min[i]);
                if (v.waiting[i].expected) {
                    CHECK(v.waiting[i].expected->start ==
                          v.updated_at + std::chrono::milliseconds{v.waiting[i].expected->wait_ms});
                }
            }
            CHECK((v.join_now ? std::optional{v.join_now->wait_ms / minute_ms} : std::nullopt) == c.join_now_min);
        }
    }

    TEST_CASE("recently ended tickets: the latest 500") {
        auto s = open_salon();
        for (int i = 1; i <= 510; ++i) {
            s.given(walk_in("c" + std::to_string(i)), cancel(static_cast<std::uint64_t>(i)));
        }
        auto const v = view_of(s);
        REQUIRE(v.recently_ended.size() == queue_view::max_recently_ended);
        CHECK(v.recently_ended.front().id == tid(11));
        CHECK(v.recently_ended.back().id == tid(510));
        CHECK_FALSE(encode_ticket(v, tid(10)).has_value());
        CHECK(encode_ticket(v, tid(11)).has_value());
        CHECK_FALSE(encode_ticket(v, tid(511)).has_value());
        // The stored JSON keeps all 500 (the ticket links after a restart); a served one shows the latest 20.
        CHECK(decode_view(encode_view(v)).value().recently_ended == v.recently_ended);
        auto const served = decode_view(encode_view(v, view_form::served)).value().recently_ended;
        REQUIRE(served.size() == queue_view::served_recently_ended);
        CHECK(served.front().id == tid(491));
        CHECK(served.back().id == tid(510));
    }

    TEST_CASE("recently ended tickets: a view's copies share them until one records an end") {
        auto s = open_salon();
        for (int i = 1; i <= 3; ++i) {
            s.given(walk_in("c" + std::to_string(i)), cancel(static_cast<std::uint64_t>(i)));
        }
        s.given(walk_in("c4"));
        auto const v = view_of(s);
        auto copy = v;
        REQUIRE(copy.recently_ended.size() == 3);
        CHECK(&copy.recently_ended.front() == &v.recently_ended.front()); // shared, not copied
        s.given(walk_in("c5"));
        apply(copy, s.history().back()); // any event but an end: still shared
        CHECK(&copy.recently_ended.front() == &v.recently_ended.front());
        s.given(cancel(4));
        apply(copy, s.history().back());
        CHECK(copy.recently_ended.size() == 4);
        CHECK(v.recently_ended.size() == 3); // the original is as it was
        CHECK(copy.recently_ended.back().id == tid(4));
        CHECK(copy != v);
        copy.recently_ended.clear();
        CHECK(copy.recently_ended.empty());
        CHECK(v.recently_ended.size() == 3);
    }

    TEST_CASE("a ticket's own status: position and wait, and nothing about other customers") {
        auto s = open_salon();
        s.given(clock_out("st2"), walk_in("Ann"), walk_in("Bo"));
        s.after(minutes{5}).given(start("st1"));
        auto v = view_of(s);
        auto const bo = s.ticket_of(2).tok.str();
        CHECK(encode_ticket(v, tid(2)) ==
              R"({"v":1,"salonId":"s1","salonName":"Salon One","timezone":"Europe/London","seq":12,)"
              R"("updatedAt":"2024-06-03T08:05:00.000Z",)"
              R"("ticketId":2,"token":")" +
                  bo +
                  R"(","status":"waiting","position":1,"estimatedWaitMs":1800000,)"
                  R"("estimatedStart":"2024-06-03T08:35:00.000Z","estimatedWaitLowMs":1800000,)"
                  R"("estimatedWaitHighMs":1800000})");
        auto const serving = encode_ticket(v, tid(1));
        REQUIRE(serving.has_value());
        CHECK(serving->find(R"("status":"serving","staffName":"Name of st1","startedAt":"2024-06-03T08:05:00.000Z",)"
                            R"("expectedEnd":"2024-06-03T08:35:00.000Z"})") != std::string::npos);
        CHECK(serving->find(bo) == std::string::npos);
        CHECK(serving->find("Ann") == std::string::npos);
        CHECK_FALSE(encode_ticket(v, tid(3)).has_value());

        s.after(minutes{1}).given(skip(2));
        v = view_of(s);
        CHECK(encode_ticket(v, tid(2))->find(R"("status":"skipped","skippedAt":"2024-06-03T08:06:00.000Z"})") !=
              std::string::npos);
        s.after(minutes{30}).given(complete(1));
        v = view_of(s);
        CHECK(encode_ticket(v, tid(1))->find(R"("status":"completed","endedAt":"2024-06-03T08:36:00.000Z"})") !=
              std::string::npos);
    }

    TEST_CASE("the JSON reads back equal, strictly") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.given(start("st1"), skip(3));
        s.by(staff_actor("own")).given(priority(2, "st2"));
        s.given(walk_in("Di"), complete(1));
        auto v = view_of(s);
        REQUIRE_FALSE(v.waiting.empty());
        v.waiting[0].join_wait = told_wait{600'000, 300'000, 900'000, 40}; // set by the runtime, not by apply
        REQUIRE(v.waiting[0].expected.has_value());
        v.waiting[0].expected->today_pct = 7; // set by observed_estimator past the usual last start (not this one)
        auto const json = encode_view(v);
        auto back = decode_view(json);
        REQUIRE_MESSAGE(back.has_value(), back.error().path << ": " << back.error().message);
        CHECK(*back == v);
        CHECK(encode_view(*back) == json);

        auto const refused = [&](std::string const& text, codec::errc code) {
            auto r = decode_view(text);
            REQUIRE_FALSE(r.has_value());
            CHECK(std::string{codec::to_string(r.error().code)} == std::string{codec::to_string(code)});
            return r.error().path;
        };
        auto with = json;
        with.insert(with.size() - 1, R"(,"extra":1)");
        CHECK(refused(with, codec::errc::unknown_field) == "extra");
        auto gap = json;
        auto const at = gap.find(R"("position":1)");
        REQUIRE(at != std::string::npos);
        gap.replace(at, 12, R"("position":2)");
        CHECK(refused(gap, codec::errc::invalid_value) == "waiting[0].position");
        auto half = json;
        auto const wait_at = half.find(R"(,"estimatedStart")");
        REQUIRE(wait_at != std::string::npos);
        half.erase(wait_at, std::string_view{R"(,"estimatedStart":"2024-06-03T08:00:00.000Z")"}.size());
        refused(half, codec::errc::missing_field);

        // The likely range: its low end above the estimate is refused, with the field's path.
        auto const low_at = json.find(R"("estimatedWaitLowMs":)");
        REQUIRE(low_at != std::string::npos);
        auto const number_at = low_at + std::string_view{R"("estimatedWaitLowMs":)"}.size();
        auto high_low = json;
        high_low.replace(number_at, json.find(',', number_at) - number_at, "99999999999");
        CHECK(refused(high_low, codec::errc::invalid_value) == "waiting[0].estimatedWaitLowMs");
        auto const told_at = json.find(R"("estimatedWaitAtJoinHighMs":900000)");
        REQUIRE(told_at != std::string::npos);
        auto told_below = json;
        told_below.replace(told_at, std::string_view{R"("estimatedWaitAtJoinHighMs":900000)"}.size(),
                           R"("estimatedWaitAtJoinHighMs":599999)");
        CHECK(refused(told_below, codec::errc::invalid_value) == "waiting[0].estimatedWaitAtJoinHighMs");
        // The chance of a start today: a percentage below 100 (100 is its absence), only beside an estimate.
        REQUIRE(json.find(R"("servedTodayPct":7)") != std::string::npos);
        REQUIRE(json.find(R"("servedTodayPctAtJoin":40)") != std::string::npos);
        auto certain = json;
        certain.replace(certain.find(R"("servedTodayPct":7)"), 18, R"("servedTodayPct":100)");
        CHECK(refused(certain, codec::errc::out_of_range) == "waiting[0].servedTodayPct");
        // A view stored before the range was kept reads back with the estimate as both ends.
        auto old = json;
        for (std::string const name :
             {"estimatedWaitLowMs", "estimatedWaitHighMs", "estimatedWaitAtJoinLowMs", "estimatedWaitAtJoinHighMs"}) {
            auto const field = ",\"" + name + "\":";
            for (auto from = old.find(field); from != std::string::npos; from = old.find(field)) {
                old.erase(from, old.find_first_of(",}", from + field.size()) - from);
            }
        }
        REQUIRE(old.find("LowMs") == std::string::npos);
        REQUIRE(old.find("estimatedWaitAtJoinMs") != std::string::npos);
        auto const before_ranges = decode_view(old);
        REQUIRE(before_ranges.has_value());
        auto collapsed = v; // list_schedule_estimator's ranges are the estimate already
        collapsed.waiting[0].join_wait = told_wait{600'000, 600'000, 600'000, 40};
        CHECK(*before_ranges == collapsed);
    }
}

} // namespace
} // namespace salonq::test
