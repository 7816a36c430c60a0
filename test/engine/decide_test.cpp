// Scenario tests for the salon domain: every command, rule and rejection of the domain, as
// given events/commands -> when command -> then events | rejection code.

#include "test/engine/scenario.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace salonq::test {
namespace {

using rc = rejection_code;
using std::chrono::minutes;

// Ticket ids 1..n walked in by customers named c1..cn.
scenario& walk_ins(scenario& s, int n) {
    for (int i = 1; i <= n; ++i) {
        s.given(walk_in("c" + std::to_string(i)));
    }
    return s;
}

std::vector<std::uint64_t> waiting_ids(salon_state const& s) {
    std::vector<std::uint64_t> ids;
    for (auto const* t : s.waiting_line()) {
        ids.push_back(t->id.value());
    }
    return ids;
}

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
        for (std::string tz : {"Mars/Olympus_Mons", "", "Europe/Londres", "Asia/Kolkata ", "+05:30"}) {
            CAPTURE(tz);
            scenario{}.when(register_salon(tz)).then_rejected(rc::invalid_timezone);
        }
        for (std::string tz : {"UTC", "America/Los_Angeles", "Asia/Kolkata", "Australia/Adelaide"}) {
            CAPTURE(tz);
            scenario{}.when(register_salon(tz)).then_event<evt::salon_registered>();
        }
    }

    TEST_CASE("register: a blank name is invalid_config") {
        scenario{}.when(register_salon("UTC", "   ")).then_rejected(rc::invalid_config);
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
            open_salon().when(set_priority_limit(n)).then_rejected(rc::invalid_config);
        }
    }

    TEST_CASE("configure: max waiting is 1..2600") {
        open_salon().when(set_max_waiting(1)).then_events({evt::salon_configured{salon_config{5, 1}, catalogue()}});
        open_salon()
            .when(set_max_waiting(2600))
            .then_events({evt::salon_configured{salon_config{5, 2600}, catalogue()}});
        for (std::int32_t n : {0, -5, 2601}) {
            CAPTURE(n);
            open_salon().when(set_max_waiting(n)).then_rejected(rc::invalid_config);
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
        open_salon().by(staff_actor("nobody")).when(set_priority_limit(3)).then_rejected(rc::forbidden_role);
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
        s.when(add_staff("st4", role::staff, " ")).then_rejected(rc::invalid_config);
        s.by(staff_actor("st1")).when(add_staff("st5", role::owner)).then_rejected(rc::forbidden_role);
    }

    TEST_CASE("only the system or an owner appoints owners and managers") {
        auto s = open_salon();
        s.when(add_staff("m2", role::manager)).then_rejected(rc::forbidden_role); // a front-desk terminal
        s.by(staff_actor("mgr")).when(add_staff("m2", role::manager)).then_rejected(rc::forbidden_role);
        s.by(staff_actor("mgr")).when(add_staff("o2", role::owner)).then_rejected(rc::forbidden_role);
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
        s.by(staff_actor("stranger")).when(clock_in("own")).then_rejected(rc::forbidden_role);
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

// ---- walk-in -----------------------------------------------------------------------------------------------------

TEST_SUITE("domain.walk_in") {
    TEST_CASE("token format: a letter and two digits, A00..Z99") {
        CHECK(token{0}.str() == "A00");
        CHECK(token{7}.str() == "A07");
        CHECK(token{1234}.str() == "M34");
        CHECK(token{2599}.str() == "Z99");
        CHECK(token::pool_size == 2600);
        CHECK(parse_token("M34") == token{1234});
        CHECK_FALSE(parse_token("a00").has_value());
        CHECK_FALSE(parse_token("A0").has_value());
        CHECK_FALSE(parse_token("AA0").has_value());
    }

    TEST_CASE("walk-in issues a ticket at the end of the line") {
        auto s = open_salon();
        auto first = s.when(walk_in("Ann")).then_event<evt::ticket_issued>();
        CHECK(first.ticket == tid(1));
        CHECK(first.who == customer{"Ann", "", std::nullopt});
        CHECK(first.services == std::vector<std::string>{"cut"});
        CHECK(first.price_cents == 2500);
        CHECK(first.duration_min == 30);
        CHECK(first.place == 1);
        CHECK(first.position == 1);
        CHECK(first.tok.index < token::pool_size);

        auto second = s.after(minutes{3})
                          .when(walk_in(customer{"Bo", "+44 20 7946-0958", customer_id{"loyal-9"}}, {"cut", "beard"}))
                          .then_event<evt::ticket_issued>();
        CHECK(second.ticket == tid(2));
        CHECK(second.who.id == customer_id{"loyal-9"});
        CHECK(second.price_cents == 4000);
        CHECK(second.duration_min == 45);
        CHECK(second.place == 2);
        CHECK(second.position == 2);
        CHECK(second.tok != first.tok);

        auto const& t = s.ticket_of(2);
        CHECK(t.status == ticket_status::waiting);
        CHECK(t.joined_at == s.now());
        CHECK(t.tok == second.tok);

        // position counts only waiting tickets; place keeps growing
        s.given(start("st1"), walk_in("Cy"));
        auto fourth = s.when(walk_in("Di")).then_event<evt::ticket_issued>();
        CHECK(fourth.ticket == tid(4));
        CHECK(fourth.place == 4);
        CHECK(fourth.position == 3); // 2, 3 and now 4 are waiting
    }

    TEST_CASE("walk-in by phone only, name only, or both") {
        open_salon().when(walk_in(customer{"", "555 0100", std::nullopt})).then_event<evt::ticket_issued>();
        open_salon().when(walk_in(customer{"Ann", "", std::nullopt})).then_event<evt::ticket_issued>();
        open_salon().when(walk_in(customer{"", "(555) 123", std::nullopt})).then_event<evt::ticket_issued>();
        open_salon().when(walk_in(customer{"Ann", "+15550100", std::nullopt})).then_event<evt::ticket_issued>();
    }

    TEST_CASE("walk-in needs a name or a valid phone: invalid_customer") {
        std::vector<customer> const bad{{"", "", std::nullopt},          {"   ", "", std::nullopt},
                                        {"\t", "", customer_id{"c1"}},   {"", "abc", std::nullopt},
                                        {"Ann", "12", std::nullopt},     {"Ann", "1234567890123456", std::nullopt},
                                        {"Ann", "12+345", std::nullopt}, {"", "   ", std::nullopt}};
        for (auto const& who : bad) {
            CAPTURE(who.name);
            CAPTURE(who.phone);
            open_salon().when(walk_in(who)).then_rejected(rc::invalid_customer);
        }
    }

    TEST_CASE("walk-in services must be in the catalogue: unknown_service") {
        using list = std::vector<std::string>;
        for (auto const& services : {list{"perm"}, list{}, list{"cut", "perm"}, list{"CUT"}}) {
            CAPTURE(services.size());
            open_salon().when(walk_in("Ann", services)).then_rejected(rc::unknown_service);
        }
        // a service removed from the catalogue can no longer be ordered
        open_salon()
            .given(set_services({{"beard", "Beard trim", 1500, 15}}))
            .when(walk_in("Ann", {"cut"}))
            .then_rejected(rc::unknown_service);
    }

    TEST_CASE("walk-in lists each service once: duplicate_service") {
        open_salon().when(walk_in("Ann", {"cut", "cut"})).then_rejected(rc::duplicate_service);
        open_salon().when(walk_in("Ann", {"cut", "beard", "cut"})).then_rejected(rc::duplicate_service);
    }

    TEST_CASE("walk-in when the waiting line is at max waiting: queue_full") {
        auto s = open_salon();
        s.given(set_max_waiting(2));
        walk_ins(s, 2);
        s.when(walk_in("Cy")).then_rejected(rc::queue_full);
        // serving and skipped tickets do not wait
        s.given(start("st1"));
        CHECK(s.when(walk_in("Cy")).then_event<evt::ticket_issued>().position == 2);
        s.when(walk_in("Di")).then_rejected(rc::queue_full);
        s.given(skip(2));
        CHECK(s.when(walk_in("Di")).then_event<evt::ticket_issued>().position == 2);
        s.when(walk_in("Ed")).then_rejected(rc::queue_full);
    }

    TEST_CASE("tokens are unique among active tickets") {
        auto s = open_salon();
        s.given(set_max_waiting(2600));
        std::set<std::uint16_t> seen;
        for (int i = 0; i < 600; ++i) {
            auto issued = s.when(walk_in("c" + std::to_string(i))).then_event<evt::ticket_issued>();
            auto const text = issued.tok.str();
            REQUIRE(text.size() == 3);
            CHECK((text[0] >= 'A' && text[0] <= 'Z'));
            CHECK((text[1] >= '0' && text[1] <= '9' && text[2] >= '0' && text[2] <= '9'));
            CHECK(parse_token(text) == issued.tok);
            CHECK(seen.insert(issued.tok.index).second);
        }
        CHECK(s.state().tokens.size() == 600);
        // drawn at random from the whole pool, not handed out in order
        CHECK(*seen.rbegin() >= 2000);
        CHECK(*seen.begin() < 600);
    }

    TEST_CASE("the token is deterministic: the same command on the same state draws the same token") {
        auto a = open_salon();
        auto b = open_salon();
        walk_ins(a, 3);
        walk_ins(b, 3);
        auto ta = a.with_id("walk-42").when(walk_in("Ann")).then_event<evt::ticket_issued>();
        auto tb = b.with_id("walk-42").when(walk_in("Ann")).then_event<evt::ticket_issued>();
        CHECK(ta == tb);
        CHECK(a.history() == b.history());

        // decide itself is pure: deciding twice gives the same answer
        auto c = open_salon();
        c.with_id("x").when(walk_in("Ann"));
        auto const again = decide(c.state(), c.last_command());
        CHECK(again == c.result());

        // another commandId draws (usually) another token
        std::set<std::uint16_t> tokens;
        for (int i = 0; i < 20; ++i) {
            auto d = open_salon();
            tokens.insert(
                d.with_id("walk-" + std::to_string(i)).when(walk_in("Ann")).then_event<evt::ticket_issued>().tok.index);
        }
        CHECK(tokens.size() > 10);
    }

    TEST_CASE("token pool: exhausted when all 2600 tokens are active, reusable once a ticket ends") {
        auto s = open_salon();
        s.given(set_max_waiting(2600));
        s.given_times(2600, walk_in("Ann"));
        CHECK(s.state().tokens.size() == 2600);
        CHECK(s.state().waiting_count() == 2600);
        s.when(walk_in("Late")).then_rejected(rc::queue_full); // the line is full first

        // a skipped ticket leaves the line but keeps its token
        s.given(skip(7));
        s.when(walk_in("Late")).then_rejected(rc::token_pool_exhausted);
        // a serving ticket keeps its token too
        s.given(start("st1"));
        s.when(walk_in("Late")).then_rejected(rc::token_pool_exhausted);

        // cancelling the skipped ticket frees exactly its token, and the next walk-in gets it
        auto const freed = s.ticket_of(7).tok;
        s.given(cancel(7));
        CHECK_FALSE(s.state().tokens.contains(freed));
        auto reissued = s.when(walk_in("Late")).then_event<evt::ticket_issued>();
        CHECK(reissued.ticket == tid(2601));
        CHECK(reissued.tok == freed);
        s.when(walk_in("Later")).then_rejected(rc::token_pool_exhausted);

        // completing ticket 1 (being served by st1) frees its token
        auto const freed_by_completion = s.ticket_of(1).tok;
        s.given(complete(1));
        CHECK(s.when(walk_in("Later")).then_event<evt::ticket_issued>().tok == freed_by_completion);
    }
}

// ---- start -------------------------------------------------------------------------------------------------------

TEST_SUITE("domain.start") {
    TEST_CASE("start the next waiting ticket") {
        auto s = open_salon();
        walk_ins(s, 1);
        s.after(minutes{2});
        walk_ins(s, 1); // ticket 2 is named c1 too; ids matter here
        s.after(minutes{10});
        s.by(staff_actor("st1"))
            .when(start("st1"))
            .then_events({evt::service_started{tid(1), sid("st1"), 1, 12 * minute_ms}});
        auto const& t = s.ticket_of(1);
        CHECK(t.status == ticket_status::serving);
        CHECK(t.staff == sid("st1"));
        CHECK(t.started_at == s.now());
        CHECK(s.state().find_staff(sid("st1"))->serving == tid(1));
        s.when(start("st2")).then_events({evt::service_started{tid(2), sid("st2"), 1, 10 * minute_ms}});
    }

    TEST_CASE("start a given waiting ticket out of order") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.after(minutes{5})
            .when(start("st1", 3))
            .then_events({evt::service_started{tid(3), sid("st1"), 3, 5 * minute_ms}});
        CHECK(waiting_ids(s.state()) == std::vector<std::uint64_t>{1, 2});
        s.when(start("st2")).then_events({evt::service_started{tid(1), sid("st2"), 1, 5 * minute_ms}});
    }

    TEST_CASE("start next passes over skipped and serving tickets") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.given(skip(1), start("st1"));
        CHECK(s.ticket_of(2).status == ticket_status::serving);
        s.when(start("st2")).then_events({evt::service_started{tid(3), sid("st2"), 1, 0}});
    }

    TEST_CASE("start rejections") {
        auto s = open_salon();
        SUBCASE("queue_empty") {
            s.when(start("st1")).then_rejected(rc::queue_empty);
            walk_ins(s, 1);
            s.given(skip(1));
            s.when(start("st1")).then_rejected(rc::queue_empty);
        }
        SUBCASE("double start of the same staff member is staff_busy") {
            walk_ins(s, 2);
            s.given(start("st1"));
            s.when(start("st1")).then_rejected(rc::staff_busy);
            s.when(start("st1", 2)).then_rejected(rc::staff_busy);
        }
        SUBCASE("double start of the same ticket is not_waiting") {
            walk_ins(s, 2);
            s.given(start("st1", 1));
            s.when(start("st2", 1)).then_rejected(rc::not_waiting);
        }
        SUBCASE("a skipped, completed or cancelled ticket is not_waiting") {
            walk_ins(s, 4);
            s.given(skip(1), start("st1", 2), complete(2), cancel(3));
            s.when(start("st2", 1)).then_rejected(rc::not_waiting);
            s.when(start("st2", 2)).then_rejected(rc::not_waiting);
            s.when(start("st2", 3)).then_rejected(rc::not_waiting);
            s.when(start("st2", 4)).then_event<evt::service_started>();
        }
        SUBCASE("a ticket never issued is ticket_not_found") {
            walk_ins(s, 1);
            s.when(start("st1", 2)).then_rejected(rc::ticket_not_found);
            s.when(start("st1", 0)).then_rejected(rc::ticket_not_found);
        }
        SUBCASE("staff_off_duty and unknown_staff") {
            walk_ins(s, 1);
            s.when(start("own")).then_rejected(rc::staff_off_duty);
            s.given(clock_out("st2"));
            s.when(start("st2")).then_rejected(rc::staff_off_duty);
            s.when(start("ghost")).then_rejected(rc::unknown_staff);
        }
        SUBCASE("a staff actor from elsewhere is forbidden_role") {
            walk_ins(s, 1);
            s.by(staff_actor("stranger")).when(start("st1")).then_rejected(rc::forbidden_role);
        }
    }
}

// ---- complete ----------------------------------------------------------------------------------------------------

TEST_SUITE("domain.complete") {
    TEST_CASE("complete records the duration and the sum of the service prices") {
        auto s = open_salon();
        s.given(walk_in(customer{"Ann", "", customer_id{"loyal-1"}}, {"cut", "color"}));
        s.after(minutes{4}).given(start("st1"));
        s.after(minutes{95})
            .when(complete(1))
            .then_events({evt::service_completed{tid(1), sid("st1"), 95 * minute_ms, 8500, customer_id{"loyal-1"}}});
        CHECK(s.state().find_ticket(tid(1)) == nullptr);
        CHECK_FALSE(s.state().find_staff(sid("st1"))->serving.has_value());
        CHECK(s.state().tokens.size() == 0);
    }

    TEST_CASE("complete with a given amount") {
        auto s = open_salon();
        walk_ins(s, 2);
        s.given(start("st1"), start("st2"));
        s.after(std::chrono::seconds{90})
            .when(complete(1, 1999))
            .then_events({evt::service_completed{tid(1), sid("st1"), 90'000, 1999, std::nullopt}});
        s.when(complete(2, 0)).then_events({evt::service_completed{tid(2), sid("st2"), 90'000, 0, std::nullopt}});
    }

    TEST_CASE("complete rejections") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.given(start("st1"), skip(2));
        SUBCASE("double complete is not_serving and never a second event") {
            s.given(complete(1));
            auto const before = s.history().size();
            s.when(complete(1)).then_rejected(rc::not_serving);
            s.when(complete(1, 500)).then_rejected(rc::not_serving);
            CHECK(s.history().size() == before);
        }
        SUBCASE("a waiting or skipped ticket is not_serving") {
            s.when(complete(3)).then_rejected(rc::not_serving);
            s.when(complete(2)).then_rejected(rc::not_serving);
        }
        SUBCASE("a ticket never issued is ticket_not_found") {
            s.when(complete(4)).then_rejected(rc::ticket_not_found);
        }
        SUBCASE("a negative or absurd amount is invalid_amount") {
            s.when(complete(1, -1)).then_rejected(rc::invalid_amount);
            s.when(complete(1, 100'000'000'01)).then_rejected(rc::invalid_amount);
            CHECK(s.ticket_of(1).status == ticket_status::serving);
        }
    }
}

// ---- skip and undo-skip ------------------------------------------------------------------------------------------

TEST_SUITE("domain.skip") {
    TEST_CASE("skip takes a waiting ticket out of the line and keeps its place") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.when(skip(2, "stepped out")).then_events({evt::ticket_skipped{tid(2), "stepped out", 2}});
        auto const& t = s.ticket_of(2);
        CHECK(t.status == ticket_status::skipped);
        CHECK(t.skip_reason == "stepped out");
        CHECK(t.place == 2);
        CHECK(waiting_ids(s.state()) == std::vector<std::uint64_t>{1, 3});
        s.when(walk_in("Dan")).then_event<evt::ticket_issued>();
        CHECK(waiting_ids(s.state()) == std::vector<std::uint64_t>{1, 3, 4});
    }

    TEST_CASE("skip rejections") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.given(start("st1"), skip(2));
        s.when(skip(1)).then_rejected(rc::not_waiting);
        s.when(skip(2)).then_rejected(rc::not_waiting);
        s.when(skip(9)).then_rejected(rc::ticket_not_found);
        s.when(skip(3, "")).then_rejected(rc::invalid_reason);
        s.when(skip(3, "  ")).then_rejected(rc::invalid_reason);
        s.by(staff_actor("st2")).when(skip(3)).then_rejected(rc::forbidden_role);
        s.by(staff_actor("mgr")).when(skip(3)).then_events({evt::ticket_skipped{tid(3), "not here", 1}});
    }

    TEST_CASE("undo-skip returns the ticket to its original place among the tickets still waiting") {
        auto s = open_salon();
        walk_ins(s, 5);
        s.given(skip(3), start("st1")); // st1 serves 1
        walk_ins(s, 1);                 // ticket 6
        CHECK(waiting_ids(s.state()) == std::vector<std::uint64_t>{2, 4, 5, 6});
        s.when(undo_skip(3)).then_events({evt::skip_undone{tid(3), 2}});
        CHECK(waiting_ids(s.state()) == std::vector<std::uint64_t>{2, 3, 4, 5, 6});
        CHECK(s.ticket_of(3).skip_reason.empty());
        s.given(start("st2"), complete(1));
        s.when(start("st1")).then_events({evt::service_started{tid(3), sid("st1"), 1, 0}});
    }

    TEST_CASE("undo-skip with several skipped tickets and tickets ahead gone") {
        auto s = open_salon();
        walk_ins(s, 5);
        s.given(skip(2), skip(3), cancel(1));
        s.when(undo_skip(3)).then_events({evt::skip_undone{tid(3), 1}}); // 4 and 5 wait behind it
        s.when(undo_skip(2)).then_events({evt::skip_undone{tid(2), 1}});
        CHECK(waiting_ids(s.state()) == std::vector<std::uint64_t>{2, 3, 4, 5});
    }

    TEST_CASE("undo-skip takes no position from the client") {
        // cmd::undo_skip has exactly one field, the ticket: a structured binding of one name compiles only then.
        auto const [only] = cmd::undo_skip{tid(1)};
        CHECK(only == tid(1));
    }

    TEST_CASE("undo-skip rejections") {
        auto s = open_salon();
        walk_ins(s, 3);
        s.given(start("st1"), skip(3), cancel(3));
        s.when(undo_skip(2)).then_rejected(rc::not_skipped);
        s.when(undo_skip(1)).then_rejected(rc::not_skipped);
        s.when(undo_skip(3)).then_rejected(rc::not_skipped);
        s.when(undo_skip(4)).then_rejected(rc::ticket_not_found);
        s.given(skip(2));
        s.by(staff_actor("st2")).when(undo_skip(2)).then_rejected(rc::forbidden_role);
    }
}

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
            s.by(staff_actor("mgr")).when(priority(2, "st1", reason)).then_rejected(rc::invalid_reason);
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
