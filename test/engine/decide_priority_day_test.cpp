// Scenario tests for start-priority (reasons, roles, the daily limit counted in the salon's local day), cancel
// and close-day (no-shows, the priority counter rolled over).

#include "test/engine/scenario.hpp"

#include <string>
#include <utility>
#include <vector>

namespace salonq::test {
namespace {

using rc = rejection_code;
using std::chrono::minutes;

// ---- start-priority ----------------------------------------------------------------------------------------------

TEST_SUITE("domain.priority") {
    TEST_CASE("a manager starts a waiting ticket out of order; the event is the audit record") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.after(minutes{20});
        s.by(staff_actor("mgr"))
            .when(priority(3, "st1", "senior_citizen"))
            .then_events({evt::priority_started{tid(3), sid("st1"), priority_reason::senior_citizen, "mgr",
                                                role::manager, 3, day_number(2024, 6, 3), 1, 20 * minute_ms}});
        auto const& e = s.history().back();
        CHECK(e.by == staff_actor("mgr"));
        CHECK(e.at == utc(2024, 6, 3, 8, 20));
        auto const& t = s.ticket_of(3);
        CHECK(t.status == ticket_status::serving);
        CHECK(t.staff == sid("st1"));
        CHECK(t.priority == priority_info{priority_reason::senior_citizen, "mgr"});
        CHECK(s.state().find_staff(sid("st1"))->serving == tid(3));
        CHECK(s.state().priority_used == 1);
        CHECK(waiting_ids(s.state()) == std::vector<std::uint64_t>{1, 2});
    }

    TEST_CASE("an owner may order it, for every reason of the fixed set") {
        auto s = open_salon();
        s.given(set_priority_limit(20));
        walk_ins(s, 4);
        std::vector<std::pair<std::string, priority_reason>> const reasons{
            {"senior_citizen", priority_reason::senior_citizen},
            {"medical_urgency", priority_reason::medical_urgency},
            {"child", priority_reason::child},
            {"system_exception", priority_reason::system_exception}};
        std::int32_t used = 0;
        for (auto const& [text, reason] : reasons) {
            CAPTURE(text);
            auto const ticket = s.state().waiting_line().back()->id.value();
            auto const before = s.state().waiting_count();
            auto started =
                s.by(staff_actor("own")).when(priority(ticket, "st2", text)).then_event<evt::priority_started>();
            CHECK(started.reason == reason);
            CHECK(started.ordered_by == "own");
            CHECK(started.ordered_by_role == role::owner);
            CHECK(started.position_before == before);
            CHECK(started.used_today == ++used);
            s.given(complete(ticket));
        }
    }

    TEST_CASE("a reason outside the fixed set is invalid_reason") {
        for (std::string reason : {"vip", "", "Senior_Citizen", "child ", "friend_of_owner"}) {
            CAPTURE(reason);
            auto s = open_salon();
            walk_ins(s, 2);
            s.by(staff_actor("mgr"))
                .when(priority(2, "st1", reason))
                .then_rejected(rc::invalid_reason,
                               "a priority start's reason is senior_citizen, medical_urgency, child or "
                               "system_exception");
        }
    }

    TEST_CASE("only an owner or manager of this salon, by its staff records, may order it: forbidden_role") {
        auto s = open_salon();
        walk_ins(s, 2);
        s.by(staff_actor("st1")).when(priority(2, "st1")).then_rejected(rc::forbidden_role);
        s.by(terminal()).when(priority(2, "st1")).then_rejected(rc::forbidden_role);
        s.by(system_actor()).when(priority(2, "st1")).then_rejected(rc::forbidden_role);
        s.by(staff_actor("stranger")).when(priority(2, "st1")).then_rejected(rc::forbidden_role);
        // an id that is "mgr" only by name: the actor must be a staff actor, a terminal called mgr is not
        s.by(actor{"mgr", actor_kind::terminal}).when(priority(2, "st1")).then_rejected(rc::forbidden_role);

        // pat owns salon s2 but is plain staff in s1: the role comes from each salon's own records
        auto other = open_salon("Europe/London", "s2");
        other.by(system_actor()).given(add_staff("pat", role::owner));
        walk_ins(other, 1);
        other.by(staff_actor("pat")).when(priority(1, "st1")).then_event<evt::priority_started>();
        s.given(add_staff("pat", role::staff));
        s.by(staff_actor("pat")).when(priority(2, "st1")).then_rejected(rc::forbidden_role);

        // a role given in the past is what counts, whatever the event that made it
        s.given_events(evt::staff_added{sid("boss"), "Boss", role::manager});
        s.by(staff_actor("boss")).when(priority(2, "st1")).then_event<evt::priority_started>();
    }

    TEST_CASE("priority rejections on ticket and staff") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.given(start("st1"), skip(2));
        s.by(staff_actor("mgr")).when(priority(1, "st2")).then_rejected(rc::not_waiting);
        s.by(staff_actor("mgr")).when(priority(2, "st2")).then_rejected(rc::not_waiting);
        s.by(staff_actor("mgr")).when(priority(7, "st2")).then_rejected(rc::ticket_not_found);
        s.by(staff_actor("mgr")).when(priority(3, "st1")).then_rejected(rc::staff_busy);
        s.by(staff_actor("mgr")).when(priority(3, "own")).then_rejected(rc::staff_off_duty);
        s.by(staff_actor("mgr")).when(priority(3, "ghost")).then_rejected(rc::unknown_staff);
        CHECK(s.state().priority_used == 0);
    }

    TEST_CASE("the daily limit: priority_limit_reached") {
        auto s = open_salon();
        s.given(set_priority_limit(2));
        walk_ins(s, 4);
        s.by(staff_actor("mgr")).when(priority(4, "st1")).then_event<evt::priority_started>();
        s.by(staff_actor("mgr")).when(priority(3, "st2")).then_event<evt::priority_started>();
        s.given(complete(4), complete(3));
        s.by(staff_actor("mgr")).when(priority(2, "st1")).then_rejected(rc::priority_limit_reached);
        // a normal start is still fine
        s.when(start("st1", 2)).then_event<evt::service_started>();

        auto zero = open_salon();
        zero.given(set_priority_limit(0));
        walk_ins(zero, 1);
        zero.by(staff_actor("own")).when(priority(1, "st1")).then_rejected(rc::priority_limit_reached);
    }

    TEST_CASE("the daily limit counts the salon's local day: Asia/Kolkata (UTC+5:30)") {
        auto s = open_salon("Asia/Kolkata");
        s.given(set_priority_limit(1));
        walk_ins(s, 4);
        // 2024-06-03 20:00 UTC is 2024-06-04 01:30 in Kolkata
        s.at(utc(2024, 6, 3, 20, 0));
        auto first = s.by(staff_actor("mgr")).when(priority(1, "st1")).then_event<evt::priority_started>();
        CHECK(first.day == day_number(2024, 6, 4));
        CHECK(first.used_today == 1);
        s.given(complete(1));
        // the UTC date moved on to 06-04, the local date did not: still used up
        s.at(utc(2024, 6, 4, 10, 0));
        s.by(staff_actor("mgr")).when(priority(2, "st1")).then_rejected(rc::priority_limit_reached);
        s.at(utc(2024, 6, 4, 18, 29)); // 23:59 local
        s.by(staff_actor("mgr")).when(priority(2, "st1")).then_rejected(rc::priority_limit_reached);
        // 18:30 UTC on the same UTC date is midnight of 06-05 local: a new day
        s.at(utc(2024, 6, 4, 18, 30));
        auto next = s.by(staff_actor("mgr")).when(priority(2, "st1")).then_event<evt::priority_started>();
        CHECK(next.day == day_number(2024, 6, 5));
        CHECK(next.used_today == 1);
        CHECK(next.waited_ms == (utc(2024, 6, 4, 18, 30) - utc(2024, 6, 3, 8, 0)).count());
    }

    TEST_CASE("the daily limit counts the salon's local day: America/Los_Angeles (UTC-7 in summer)") {
        auto s = open_salon("America/Los_Angeles");
        s.given(set_priority_limit(1));
        walk_ins(s, 3);
        s.at(utc(2024, 6, 3, 16, 0)); // 09:00 local, 06-03
        CHECK(s.by(staff_actor("own")).when(priority(1, "st1")).then_event<evt::priority_started>().day ==
              day_number(2024, 6, 3));
        s.given(complete(1));
        s.at(utc(2024, 6, 4, 2, 0)); // 19:00 local, still 06-03; UTC is 06-04 already
        s.by(staff_actor("own")).when(priority(2, "st1")).then_rejected(rc::priority_limit_reached);
        s.at(utc(2024, 6, 4, 7, 0)); // midnight local: 06-04
        auto next = s.by(staff_actor("own")).when(priority(2, "st1")).then_event<evt::priority_started>();
        CHECK(next.day == day_number(2024, 6, 4));
        CHECK(next.used_today == 1);
        CHECK(s.state().priority_day == day_number(2024, 6, 4));
    }
}

// ---- cancel and close-day ----------------------------------------------------------------------------------------

TEST_SUITE("domain.cancel") {
    TEST_CASE("cancel a waiting or a skipped ticket") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.given(skip(3));
        auto const tok = s.ticket_of(1).tok;
        s.when(cancel(1, "had to go"))
            .then_events({evt::ticket_cancelled{tid(1), "had to go", ticket_status::waiting}});
        CHECK(s.state().find_ticket(tid(1)) == nullptr);
        CHECK_FALSE(s.state().tokens.contains(tok));
        s.when(cancel(3)).then_events({evt::ticket_cancelled{tid(3), "left", ticket_status::skipped}});
        // the line closes up
        s.when(start("st1")).then_events({evt::service_started{tid(2), sid("st1"), 1, 0}});
    }

    TEST_CASE("cancel rejections") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.given(start("st1"), start("st2"), complete(2));
        s.when(cancel(1)).then_rejected(rc::not_cancellable); // serving
        s.when(cancel(2)).then_rejected(rc::not_cancellable); // completed
        s.given(cancel(3));
        s.when(cancel(3)).then_rejected(rc::not_cancellable); // already cancelled
        s.when(cancel(4)).then_rejected(rc::ticket_not_found);
        walk_ins(s, 1);
        s.by(staff_actor("st2")).when(cancel(4)).then_rejected(rc::forbidden_role);
    }
}

TEST_SUITE("domain.close_day") {
    TEST_CASE("close-day: waiting and skipped tickets become no-shows, serving ones stay") {
        auto s = open_salon();
        walk_ins(s, 5);
        s.given(start("st1"), skip(3), cancel(5));
        s.at(utc(2024, 6, 3, 20, 0));
        s.when(close_day()).then_events({evt::day_closed{day_number(2024, 6, 3), {tid(2), tid(3), tid(4)}}});
        REQUIRE(s.state().tickets.size() == 1);
        CHECK(s.state().tickets.front().id == tid(1));
        CHECK(s.state().tokens.size() == 1);
        CHECK(s.state().find_staff(sid("st1"))->serving == tid(1));
        s.when(complete(1)).then_event<evt::service_completed>();
        s.when(close_day()).then_events({evt::day_closed{day_number(2024, 6, 3), {}}});
        s.by(staff_actor("st1")).when(close_day()).then_rejected(rc::forbidden_role);
    }

    TEST_CASE("close-day names the salon's local day") {
        // 19:00 UTC is 00:30 the next day in Kolkata; 05:00 UTC is 22:00 the day before in Los Angeles
        open_salon("Asia/Kolkata")
            .at(utc(2024, 6, 3, 19, 0))
            .when(close_day())
            .then_events({evt::day_closed{day_number(2024, 6, 4), {}}});
        open_salon("America/Los_Angeles")
            .at(utc(2024, 6, 4, 5, 0))
            .when(close_day())
            .then_events({evt::day_closed{day_number(2024, 6, 3), {}}});
    }

    TEST_CASE("close-day rolls the priority counter over") {
        auto s = open_salon("America/Los_Angeles");
        s.given(set_priority_limit(1));
        walk_ins(s, 2);
        s.at(utc(2024, 6, 3, 16, 0));
        s.by(staff_actor("mgr")).when(priority(2, "st1")).then_event<evt::priority_started>();
        s.given(complete(2));
        CHECK(s.state().priority_used == 1);
        s.at(utc(2024, 6, 4, 4, 0)); // 21:00 local
        s.when(close_day()).then_events({evt::day_closed{day_number(2024, 6, 3), {tid(1)}}});
        CHECK(s.state().priority_used == 0);
        CHECK(s.state().priority_day == day_number(2024, 6, 3));
        s.at(utc(2024, 6, 4, 16, 0)); // next morning
        walk_ins(s, 1);
        CHECK(s.by(staff_actor("mgr")).when(priority(3, "st1")).then_event<evt::priority_started>().used_today == 1);
    }
}

} // namespace
} // namespace salonq::test
