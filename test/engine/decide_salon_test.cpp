// Scenario tests for the salon itself: register, configure (limits, services), staff and clocking, and the
// envelope every command carries (expectedSeq, and the seq, commandId, actor and time of every event).

#include "test/engine/scenario.hpp"

#include <set>
#include <string>
#include <vector>

namespace salonq::test {
namespace {

using rc = rejection_code;
using std::chrono::minutes;

// ---- salon: register -------------------------------------------------------------------------------------------

TEST_SUITE("domain.salon") {
    TEST_CASE("register: a new salon starts with the default configuration") {
        scenario s;
        s.when(register_salon("Asia/Kolkata", "Cut Above"))
            .then_events({evt::salon_registered{"Cut Above", "Asia/Kolkata",
                                                salon_config{5, salon_config::default_max_waiting}}});
        CHECK(s.state().registered);
        CHECK(s.state().id == salon_id{"s1"});
        CHECK(s.state().timezone == "Asia/Kolkata");
        CHECK(s.state().config.priority_daily_limit == 5);
        CHECK(s.state().seq == seq_t{1});
    }

    TEST_CASE("register: twice is salon_exists") {
        open_salon().when(register_salon("Europe/Paris")).then_rejected(rc::salon_exists);
    }

    TEST_CASE("register: time zone must be a known IANA zone") {
        for (std::string tz : {"Mars/Olympus_Mons", "", "Europe/Londres", "Asia/Kolkata ", "+05:30",
                               // files of the OS zone directory that are not IANA zones; localtime is the server's
                               "localtime", "posixrules", "zone.tab", "posix/Europe/London", "right/UTC",
                               "Europe//London", "Europe/London/", "/Europe/London"}) {
            CAPTURE(tz);
            scenario{}.when(register_salon(tz)).then_rejected(rc::invalid_timezone);
        }
        for (std::string tz : {"UTC", "America/Los_Angeles", "Asia/Kolkata", "Australia/Adelaide",
                               "America/Port-au-Prince", "Etc/GMT+5", "Etc/GMT-14", "America/Argentina/Buenos_Aires"}) {
            CAPTURE(tz);
            scenario{}.when(register_salon(tz)).then_event<evt::salon_registered>();
        }
    }

    TEST_CASE("register: a blank name is invalid_config, and the message says so") {
        for (std::string name : {"   ", "", "\t"}) {
            CAPTURE(name);
            scenario{}
                .when(register_salon("UTC", name))
                .then_rejected(rc::invalid_config, "the salon's name is empty (or only spaces)");
        }
    }

    TEST_CASE("every command but register on an unknown salon is salon_not_found") {
        std::vector<command_body> const commands{set_priority_limit(3),
                                                 set_max_waiting(10),
                                                 set_services(catalogue()),
                                                 add_staff("a", role::owner),
                                                 clock_in("a"),
                                                 clock_out("a"),
                                                 walk_in("Ann"),
                                                 start("a"),
                                                 complete(1),
                                                 skip(1),
                                                 undo_skip(1),
                                                 priority(1, "a"),
                                                 cancel(1),
                                                 close_day()};
        std::set<std::size_t> kinds;
        for (auto const& c : commands) {
            kinds.insert(c.index());
        }
        CHECK(kinds.size() + 1 == std::variant_size_v<command_body>); // all but register
        for (auto const& c : commands) {
            CAPTURE(type_name(c));
            scenario{}.when(c).then_rejected(rc::salon_not_found);
            // salon_not_found wins over a stale expectedSeq
            scenario{}.expecting_seq(7).when(c).then_rejected(rc::salon_not_found);
        }
    }

    // ---- salon: configure --------------------------------------------------------------------------------------

    TEST_CASE("configure: the priority limit may be 0..20 and the event carries the whole configuration") {
        for (std::int32_t n = 0; n <= 20; ++n) {
            CAPTURE(n);
            auto s = open_salon();
            s.when(set_priority_limit(n))
                .then_events({evt::salon_configured{salon_config{n, salon_config::default_max_waiting}, catalogue()}});
            CHECK(s.state().config.priority_daily_limit == n);
        }
        for (std::int32_t n : {-1, 21, 100, -100}) {
            CAPTURE(n);
            open_salon()
                .when(set_priority_limit(n))
                .then_rejected(rc::invalid_config, "priorityDailyLimit is out of range (0 to 20)");
        }
    }

    TEST_CASE("configure: the loyalty rate is 1..1,000,000 cents a point; other settings keep theirs") {
        auto s = open_salon();
        s.given(set_priority_limit(3));
        s.when(set_loyalty_rate(250))
            .then_events({evt::salon_configured{salon_config{3, salon_config::default_max_waiting, 250}, catalogue()}});
        CHECK(s.state().config.loyalty_cents_per_point == 250);
        s.when(set_max_waiting(40)).then_events({evt::salon_configured{salon_config{3, 40, 250}, catalogue()}});
        for (std::int32_t n : {0, -1, 1'000'001}) {
            CAPTURE(n);
            open_salon()
                .when(set_loyalty_rate(n))
                .then_rejected(rc::invalid_config, "loyaltyCentsPerPoint is out of range (1 to 1000000)");
        }
        open_salon()
            .when(set_loyalty_rate(1'000'000))
            .then_events({evt::salon_configured{salon_config{5, 200, 1'000'000}, catalogue()}});
    }

    TEST_CASE("configure: max waiting is 1..2600") {
        open_salon().when(set_max_waiting(1)).then_events({evt::salon_configured{salon_config{5, 1}, catalogue()}});
        open_salon()
            .when(set_max_waiting(2600))
            .then_events({evt::salon_configured{salon_config{5, 2600}, catalogue()}});
        for (std::int32_t n : {0, -5, 2601}) {
            CAPTURE(n);
            open_salon()
                .when(set_max_waiting(n))
                .then_rejected(rc::invalid_config, "maxWaiting is out of range (1 to 2600)");
        }
    }

    TEST_CASE("configure: a partial update keeps the other settings") {
        auto s = open_salon();
        s.given(set_priority_limit(2), set_max_waiting(40));
        s.when(set_services({{"nails", "Nails", 3000, 45}}))
            .then_events({evt::salon_configured{salon_config{2, 40}, {{"nails", "Nails", 3000, 45}}}});
        s.when(set_priority_limit(7))
            .then_events({evt::salon_configured{salon_config{7, 40}, {{"nails", "Nails", 3000, 45}}}});
        CHECK(s.state().services.size() == 1);
    }

    TEST_CASE("configure: services catalogue rules") {
        SUBCASE("a code twice is duplicate_service") {
            open_salon()
                .when(set_services({{"cut", "Haircut", 2500, 30}, {"cut", "Short cut", 2000, 20}}))
                .then_rejected(rc::duplicate_service);
        }
        SUBCASE("out-of-range or blank fields are invalid_config") {
            std::vector<service_def> const bad{{"cut", "Haircut", -1, 30},  {"cut", "Haircut", 10'000'001, 30},
                                               {"cut", "Haircut", 2500, 0}, {"cut", "Haircut", 2500, 24 * 60 + 1},
                                               {"", "Haircut", 2500, 30},   {"  ", "Haircut", 2500, 30},
                                               {"cut", "", 2500, 30}};
            for (auto const& svc : bad) {
                CAPTURE(svc.code);
                CAPTURE(svc.price_cents);
                CAPTURE(svc.duration_min);
                open_salon().when(set_services({svc})).then_rejected(rc::invalid_config);
            }
        }
        SUBCASE("a free service and an empty catalogue are fine") {
            open_salon().when(set_services({{"consult", "Consultation", 0, 10}})).then_event<evt::salon_configured>();
            open_salon().when(set_services({})).then_events({evt::salon_configured{salon_config{}, {}}});
        }
    }

    TEST_CASE("configure: only owners, managers, terminals and the system may configure") {
        open_salon().by(staff_actor("st1")).when(set_priority_limit(3)).then_rejected(rc::forbidden_role);
        open_salon()
            .by(staff_actor("nobody"))
            .when(set_priority_limit(3))
            .then_rejected(rc::forbidden_role, "the acting staff member is not on this salon's staff");
        open_salon().by(staff_actor("mgr")).when(set_priority_limit(3)).then_event<evt::salon_configured>();
        open_salon().by(staff_actor("own")).when(set_priority_limit(3)).then_event<evt::salon_configured>();
        open_salon().by(system_actor()).when(set_priority_limit(3)).then_event<evt::salon_configured>();
    }
}

// ---- staff -----------------------------------------------------------------------------------------------------

TEST_SUITE("domain.staff") {
    TEST_CASE("add staff") {
        auto s = open_salon();
        s.by(staff_actor("own"))
            .when(add_staff("st3", role::manager, "Maya"))
            .then_events({evt::staff_added{sid("st3"), "Maya", role::manager}});
        auto const* m = s.state().find_staff(sid("st3"));
        REQUIRE(m != nullptr);
        CHECK(m->staff_role == role::manager);
        CHECK_FALSE(m->on_duty);
        CHECK_FALSE(m->serving.has_value());

        s.when(add_staff("st3", role::staff, "Other")).then_rejected(rc::staff_exists);
        for (std::string name : {" ", "\t "}) {
            CAPTURE(name);
            s.when(add_staff("st4", role::staff, name))
                .then_rejected(rc::invalid_config, "the staff member's name is empty (or only spaces)");
        }
        s.when(cmd::add_staff{sid("st4"), "", role::staff}) // the helper fills in an empty name
            .then_rejected(rc::invalid_config, "the staff member's name is empty (or only spaces)");
        s.by(staff_actor("st1")).when(add_staff("st5", role::owner)).then_rejected(rc::forbidden_role);
    }

    TEST_CASE("a salon has at most salon_limits::staff members: its state stays bounded") {
        auto s = open_salon();
        for (auto n = s.state().staff.size(); n < salon_limits::staff; ++n) {
            s.given(add_staff("extra-" + std::to_string(n), role::staff));
        }
        REQUIRE(s.state().staff.size() == salon_limits::staff);
        s.when(add_staff("one-too-many", role::staff)).then_rejected(rc::staff_limit_reached);
        s.when(add_staff("extra-5", role::staff)).then_rejected(rc::staff_exists);
    }

    TEST_CASE("only the system or an owner appoints owners and managers") {
        auto s = open_salon();
        s.when(add_staff("m2", role::manager))
            .then_rejected(rc::forbidden_role,
                           "only the salon's owner may add an owner or a manager"); // a front-desk terminal
        s.by(staff_actor("mgr"))
            .when(add_staff("m2", role::manager))
            .then_rejected(rc::forbidden_role, "only the salon's owner may add an owner or a manager");
        s.by(staff_actor("mgr"))
            .when(add_staff("o2", role::owner))
            .then_rejected(rc::forbidden_role, "only the salon's owner may add an owner or a manager");
        s.when(add_staff("st9", role::staff)).then_event<evt::staff_added>(); // plain staff: the front desk may
        s.by(staff_actor("own")).when(add_staff("o2", role::owner)).then_event<evt::staff_added>();
        s.by(system_actor()).when(add_staff("m2", role::manager)).then_event<evt::staff_added>();
    }

    TEST_CASE("clock in") {
        auto s = open_salon();
        s.when(clock_in("mgr")).then_events({evt::staff_clocked_in{sid("mgr")}});
        CHECK(s.state().find_staff(sid("mgr"))->on_duty);
        s.when(clock_in("mgr")).then_rejected(rc::staff_already_on_duty);
        s.when(clock_in("ghost")).then_rejected(rc::unknown_staff);
        // a staff actor must work here; a stranger cannot clock people in
        s.by(staff_actor("stranger"))
            .when(clock_in("own"))
            .then_rejected(rc::forbidden_role, "the acting staff member is not on this salon's staff");
        s.by(staff_actor("own")).when(clock_in("own")).then_events({evt::staff_clocked_in{sid("own")}});
    }

    TEST_CASE("clock out, never while serving") {
        auto s = open_salon();
        walk_ins(s, 1);
        s.when(clock_out("own")).then_rejected(rc::staff_off_duty);
        s.when(clock_out("ghost")).then_rejected(rc::unknown_staff);
        s.given(start("st1"));
        s.when(clock_out("st1")).then_rejected(rc::staff_busy);
        CHECK(s.state().find_staff(sid("st1"))->on_duty);
        s.given(complete(1));
        s.when(clock_out("st1")).then_events({evt::staff_clocked_out{sid("st1")}});
        CHECK_FALSE(s.state().find_staff(sid("st1"))->on_duty);
        s.when(clock_out("st1")).then_rejected(rc::staff_off_duty);
    }
}

// ---- concurrency and envelopes -----------------------------------------------------------------------------------

TEST_SUITE("domain.envelope") {
    TEST_CASE("expectedSeq: accepted when current, seq_conflict when the salon moved on") {
        auto s = open_salon(); // 8 events
        s.expecting_seq(8).when(walk_in("Ann")).then_event<evt::ticket_issued>();
        s.expecting_seq(8).when(walk_in("Bob")).then_rejected(rc::seq_conflict);
        s.expecting_seq(10).when(walk_in("Bob")).then_rejected(rc::seq_conflict);
        s.expecting_seq(0).when(walk_in("Bob")).then_rejected(rc::seq_conflict);
        // seq_conflict is checked before anything else
        s.expecting_seq(3).when(start("ghost")).then_rejected(rc::seq_conflict);
        s.expecting_seq(9).when(start("st1")).then_events({evt::service_started{tid(1), sid("st1"), 1, 0}});
        scenario{}.expecting_seq(0).when(register_salon()).then_event<evt::salon_registered>();
    }

    TEST_CASE("every event carries a gapless seq, the commandId, the actor and the receive time") {
        auto s = open_salon("Asia/Kolkata");
        s.after(minutes{1})
            .by(terminal("tablet-2"))
            .with_id("w-1")
            .when(walk_in("Ann"))
            .then_event<evt::ticket_issued>();
        s.after(minutes{1}).when(walk_in("")).then_rejected(rc::invalid_customer); // takes no seq
        s.after(minutes{1})
            .by(staff_actor("st1"))
            .with_id("st-1")
            .when(start("st1"))
            .then_event<evt::service_started>();
        s.after(minutes{30})
            .by(staff_actor("st1"))
            .with_id("co-1")
            .when(complete(1))
            .then_event<evt::service_completed>();

        auto const& h = s.history();
        REQUIRE(h.size() == 11);
        for (std::size_t i = 0; i < h.size(); ++i) {
            CHECK(h[i].seq == seq_t{i + 1});
            CHECK(h[i].salon == salon_id{"s1"});
        }
        CHECK(h[8].cause == command_id{"w-1"});
        CHECK(h[8].by == terminal("tablet-2"));
        CHECK(h[8].at == utc(2024, 6, 3, 8, 1));
        CHECK(h[9].cause == command_id{"st-1"});
        CHECK(h[9].by == staff_actor("st1"));
        CHECK(h[9].at == utc(2024, 6, 3, 8, 3));
        CHECK(h[10].cause == command_id{"co-1"});
        CHECK(h[10].at == utc(2024, 6, 3, 8, 33));
        CHECK(std::get<evt::service_completed>(h[10].body).duration_ms == 30 * minute_ms);
        CHECK(s.state().seq == seq_t{11});
        CHECK(fold(salon_id{"s1"}, h) == s.state());
    }
}

} // namespace
} // namespace salonq::test
