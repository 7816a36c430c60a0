// Authorization as data: the role table (written out here again, cell by cell, as the review of docs/auth.md's
// table), may_access for every role, authorize's order of refusals, actor_of, and the customers' ticket link codes.

#include "api/auth/access.hpp"
#include "api/auth/ticket_link.hpp"
#include "test/api/auth_support.hpp"

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace salonq::test::auth {
namespace {

using a::action;
using a::role;

constexpr std::array all_roles{role::pos,       role::staff,   role::manager, role::owner,
                               role::dashboard, role::analyst, role::monitor, role::admin};

std::set<action> expected_actions(role r) {
    std::set<action> reads{action::read_queue};
    std::set<action> pos = reads;
    pos.insert({action::walk_in, action::read_loyalty}); // a front desk shows a customer's points
    std::set<action> staff = reads;
    staff.insert({action::walk_in, action::start, action::complete, action::clock_in_out}); // no loyalty
    std::set<action> manager = staff;
    manager.insert({action::skip, action::undo_skip, action::start_priority, action::cancel, action::manage_staff,
                    action::configure, action::close_day, action::read_events, action::read_stats,
                    action::read_notifications, action::manage_notifications, action::read_loyalty});
    switch (r) {
    case role::pos:
        return pos;
    case role::staff:
        return staff;
    case role::manager:
    case role::owner:
        return manager;
    case role::dashboard:
        return reads;
    case role::analyst:
        return {action::read_queue, action::read_events, action::read_stats, action::read_notifications,
                action::read_loyalty};
    case role::monitor:
        return {action::read_metrics}; // not even a queue: a scraper's token reads counters
    case role::admin: {
        std::set<action> everything;
        for (std::size_t i = 0; i < a::action_count; ++i) {
            everything.insert(static_cast<action>(i));
        }
        return everything;
    }
    }
    return {};
}

a::principal person(role r, std::vector<std::string> const& salons) {
    a::principal p;
    p.subject = "someone";
    p.role = r;
    for (auto const& s : salons) {
        p.salons.emplace_back(s);
    }
    if (a::acts_as_staff(r)) {
        p.staff = engine::staff_id{"st7"};
    }
    p.jti = "j";
    return p;
}

} // namespace

TEST_SUITE("auth.access") {
    TEST_CASE("the role table, every role against every action") {
        for (auto r : all_roles) {
            auto const expected = expected_actions(r);
            for (std::size_t i = 0; i < a::action_count; ++i) {
                auto const act = static_cast<action>(i);
                CAPTURE(a::to_string(r));
                CAPTURE(a::to_string(act));
                CHECK(a::allowed(r, act) == expected.contains(act));
            }
        }
        CHECK_FALSE(a::allowed(role::owner, action::register_salon)); // onboarding is the operators'
        CHECK_FALSE(a::allowed(role::manager, action::issue_tokens));
        // The webhook's settings and its re-drives: owners and managers; analysts only read the dead letters.
        CHECK(a::allowed(role::owner, action::manage_notifications));
        CHECK(a::allowed(role::analyst, action::read_notifications));
        CHECK_FALSE(a::allowed(role::analyst, action::manage_notifications));
        CHECK_FALSE(a::allowed(role::staff, action::read_notifications));
        CHECK_FALSE(a::allowed(role::dashboard, action::read_notifications));
        CHECK_FALSE(a::allowed(role::pos, action::manage_notifications));
        CHECK_FALSE(a::allowed(role::staff, action::read_loyalty));     // what customers paid is not every stylist's
        CHECK_FALSE(a::allowed(role::dashboard, action::read_loyalty)); // a TV board shows no customer's points
    }

    TEST_CASE("role and action names round trip") {
        for (auto r : all_roles) {
            CHECK(a::parse_role(a::to_string(r)) == r);
        }
        // The names stand where their values do (the tables are in enum order).
        CHECK(a::to_string(role::pos) == "pos");
        CHECK(a::to_string(role::owner) == "owner");
        CHECK(a::to_string(role::admin) == "admin");
        CHECK(a::to_string(action::read_queue) == "read_queue");
        CHECK(a::to_string(action::start_priority) == "start_priority");
        CHECK(a::to_string(action::issue_tokens) == "issue_tokens");
        CHECK(a::to_string(action::manage_notifications) == "manage_notifications");
        CHECK(a::to_string(action::read_loyalty) == "read_loyalty");
        CHECK(a::to_string(action::read_metrics) == "read_metrics");
        CHECK(a::to_string(role::monitor) == "monitor");
        CHECK(a::to_string(a::errc::token_missing) == "token_missing");
        CHECK(a::to_string(a::errc::token_revoked) == "token_revoked");
        CHECK(a::to_string(a::errc::forbidden_salon) == "forbidden_salon");
        CHECK(a::to_string(a::errc::io_error) == "io_error");
        CHECK_FALSE(a::parse_role("root"));
        CHECK_FALSE(a::parse_role(""));
        std::set<std::string_view> names;
        for (std::size_t i = 0; i < a::action_count; ++i) {
            names.insert(a::to_string(static_cast<action>(i)));
        }
        CHECK(names.size() == a::action_count);
        CHECK_FALSE(names.contains("unknown"));
    }

    TEST_CASE("may_access: a token for salon A never reaches salon B; admin's * reaches all") {
        engine::salon_id const a_salon{"A"};
        engine::salon_id const b_salon{"B"};
        for (auto r : all_roles) {
            CAPTURE(a::to_string(r));
            auto const p = person(r, {"A"});
            CHECK(a::may_access(p, a_salon));
            CHECK_FALSE(a::may_access(p, b_salon));
            CHECK_FALSE(a::may_access(p, engine::salon_id{"a"}));
            CHECK_FALSE(a::may_access(p, engine::salon_id{""}));
            auto star = person(r, {});
            star.all_salons = true;
            CHECK(a::may_access(star, b_salon) == (r == role::admin));
            CHECK_FALSE(a::may_access(person(r, {}), a_salon));
        }
        auto const both = person(role::pos, {"A", "B"});
        CHECK(a::may_access(both, a_salon));
        CHECK(a::may_access(both, b_salon));
    }

    TEST_CASE("authorize: the salon first, then the action") {
        auto const pos = person(role::pos, {"A"});
        CHECK(a::authorize(pos, action::walk_in, engine::salon_id{"A"}));
        CHECK(a::authorize(pos, action::walk_in, engine::salon_id{"B"}).error().code == a::errc::forbidden_salon);
        CHECK(a::authorize(pos, action::skip, engine::salon_id{"B"}).error().code == a::errc::forbidden_salon);
        auto const refused = a::authorize(pos, action::skip, engine::salon_id{"A"});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == a::errc::forbidden_action);
        CHECK(refused.error().message == "role pos may not skip");
    }

    TEST_CASE("actor_of: the engine's actor comes from the token") {
        for (auto r : {role::staff, role::manager, role::owner}) {
            CHECK(a::actor_of(person(r, {"A"})) == engine::actor{"st7", engine::actor_kind::staff});
        }
        CHECK(a::actor_of(person(role::pos, {"A"})) == engine::actor{"someone", engine::actor_kind::terminal});
        CHECK(a::actor_of(person(role::admin, {"A"})) == engine::actor{"someone", engine::actor_kind::system});
        CHECK_FALSE(a::actor_of(person(role::dashboard, {"A"})));
        CHECK_FALSE(a::actor_of(person(role::analyst, {"A"})));
        auto no_staff = person(role::manager, {"A"});
        no_staff.staff.reset();
        CHECK_FALSE(a::actor_of(no_staff));
    }
}

TEST_SUITE("auth.ticket_link") {
    TEST_CASE("a code is 24 base64url characters, the same each time, and differs by salon, ticket and secret") {
        a::secret const one{std::string(32, 'x')};
        a::secret const two{std::string(32, 'y')};
        engine::salon_id const s1{"s1"};
        auto const code = a::ticket_link_code(one, s1, engine::ticket_id{7});
        CHECK(code.size() == a::ticket_link_code_length);
        CHECK(a::base64url_decode(code));
        CHECK(a::ticket_link_code(one, s1, engine::ticket_id{7}) == code);
        std::set<std::string> codes{code};
        codes.insert(a::ticket_link_code(one, s1, engine::ticket_id{8}));
        codes.insert(a::ticket_link_code(one, engine::salon_id{"s2"}, engine::ticket_id{7}));
        codes.insert(a::ticket_link_code(two, s1, engine::ticket_id{7}));
        // Length-prefixed: salon "s1" ticket 17 and salon "s11" ticket 7 do not collide.
        codes.insert(a::ticket_link_code(one, engine::salon_id{"s1"}, engine::ticket_id{17}));
        codes.insert(a::ticket_link_code(one, engine::salon_id{"s11"}, engine::ticket_id{7}));
        CHECK(codes.size() == 6);
    }

    TEST_CASE("a code is HMAC-SHA256 of the labelled, length-prefixed salon and ticket, cut to 144 bits") {
        // Links printed on tickets must keep working across releases: the value is pinned (Python's hmac module:
        // hmac.new(b"x" * 32, b"salonq ticket link v1\n2:s1\n7", sha256).digest()[:18], base64url).
        a::secret const key{std::string(32, 'x')};
        CHECK(a::ticket_link_code(key, engine::salon_id{"s1"}, engine::ticket_id{7}) == "PysV80wQcHxfj6GDdgxwYict");
    }

    TEST_CASE("one signer gives the same codes from many threads at once") {
        a::link_signer const signer{a::secret{std::string(32, 'x')}};
        engine::salon_id const s1{"s1"};
        std::vector<std::string> expected;
        expected.reserve(200);
        for (std::uint64_t t = 1; t <= 200; ++t) {
            expected.push_back(a::ticket_link_code(a::secret{std::string(32, 'x')}, s1, engine::ticket_id{t}));
        }
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        threads.reserve(4);
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&] {
                for (std::uint64_t t = 1; t <= 200; ++t) {
                    auto const at = static_cast<std::size_t>(t - 1);
                    if (signer.code(s1, engine::ticket_id{t}) != expected[at] ||
                        !signer.check(s1, engine::ticket_id{t}, expected[at])) {
                        ++wrong;
                    }
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
        CHECK(wrong.load() == 0);
    }

    TEST_CASE("check_ticket_link takes the code and nothing else") {
        a::secret const key{std::string(32, 'x')};
        engine::salon_id const s1{"s1"};
        engine::ticket_id const t{7};
        auto const code = a::ticket_link_code(key, s1, t);
        CHECK(a::check_ticket_link(key, s1, t, code));
        CHECK_FALSE(a::check_ticket_link(key, s1, engine::ticket_id{8}, code));
        CHECK_FALSE(a::check_ticket_link(key, engine::salon_id{"s2"}, t, code));
        CHECK_FALSE(a::check_ticket_link(a::secret{std::string(32, 'y')}, s1, t, code));
        CHECK_FALSE(a::check_ticket_link(key, s1, t, ""));
        CHECK_FALSE(a::check_ticket_link(key, s1, t, code.substr(0, 23)));
        CHECK_FALSE(a::check_ticket_link(key, s1, t, code + "A"));
        auto last = code;
        last.back() = last.back() == 'A' ? 'B' : 'A';
        CHECK_FALSE(a::check_ticket_link(key, s1, t, last));
        auto first = code;
        first.front() = first.front() == 'A' ? 'B' : 'A';
        CHECK_FALSE(a::check_ticket_link(key, s1, t, first));
    }
}

} // namespace salonq::test::auth
