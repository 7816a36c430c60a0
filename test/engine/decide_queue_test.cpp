// Scenario tests for the queue: walk-in (customers, services, tokens, a full line), start, complete, skip, undo-skip.

#include "test/engine/scenario.hpp"

#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

namespace salonq::test {
namespace {

using rc = rejection_code;
using std::chrono::minutes;

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

    TEST_CASE("walk-in needs a name or a valid phone: invalid_customer, saying which") {
        std::vector<customer> const nobody{
            {"", "", std::nullopt}, {"   ", "", std::nullopt}, {"\t", "", customer_id{"c1"}}};
        for (auto const& who : nobody) {
            CAPTURE(who.name);
            open_salon().when(walk_in(who)).then_rejected(rc::invalid_customer);
        }
        // A phone given but not a number is told so, not "no name or phone".
        std::string const bad_phone = "the phone number is not valid: 3 to 15 digits, with spaces, '-', '(' and ')' "
                                      "between them and '+' first";
        std::vector<customer> const bad_phones{{"", "abc", std::nullopt},
                                               {"Ann", "12", std::nullopt},
                                               {"Ann", "1234567890123456", std::nullopt},
                                               {"Ann", "12+345", std::nullopt},
                                               {"", "   ", std::nullopt}};
        for (auto const& who : bad_phones) {
            CAPTURE(who.name);
            CAPTURE(who.phone);
            open_salon().when(walk_in(who)).then_rejected(rc::invalid_customer, bad_phone);
        }
    }

    TEST_CASE("walk-in services must be in the catalogue: unknown_service, naming the code") {
        using list = std::vector<std::string>;
        for (auto const& [services, missing] :
             {std::pair{list{"perm"}, "perm"}, std::pair{list{"cut", "perm"}, "perm"}, std::pair{list{"CUT"}, "CUT"}}) {
            CAPTURE(services.size());
            open_salon()
                .when(walk_in("Ann", services))
                .then_rejected(rc::unknown_service, fmt::format("there is no service '{}' in the catalogue", missing));
        }
        open_salon()
            .when(walk_in("Ann", {}))
            .then_rejected(rc::unknown_service, "a walk-in needs at least one service");
        // a service removed from the catalogue can no longer be ordered
        open_salon()
            .given(set_services({{"beard", "Beard trim", 1500, 15}}))
            .when(walk_in("Ann", {"cut"}))
            .then_rejected(rc::unknown_service, "there is no service 'cut' in the catalogue");
    }

    TEST_CASE("walk-in lists each service once: duplicate_service") {
        open_salon()
            .when(walk_in("Ann", {"cut", "cut"}))
            .then_rejected(rc::duplicate_service, "service 'cut' is listed twice");
        open_salon()
            .when(walk_in("Ann", {"cut", "beard", "cut"}))
            .then_rejected(rc::duplicate_service, "service 'cut' is listed twice");
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
            s.by(staff_actor("stranger"))
                .when(start("st1"))
                .then_rejected(rc::forbidden_role, "the acting staff member is not on this salon's staff");
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
        s.when(skip(3, ""))
            .then_rejected(rc::invalid_reason, "a skip needs a reason, in words (e.g. \"not here when called\")");
        s.when(skip(3, "  "))
            .then_rejected(rc::invalid_reason, "a skip needs a reason, in words (e.g. \"not here when called\")");
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

} // namespace
} // namespace salonq::test
