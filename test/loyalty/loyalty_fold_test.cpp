// Loyalty in the domain's style: given a salon's events (decided and folded by the real domain), then the ledger.

#include "loyalty/core/fold.hpp"
#include "loyalty/core/ledger.hpp"
#include "test/engine/scenario.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

namespace salonq::test {
namespace {

using loyalty::fold_ledger;

customer regular(std::string id) { return customer{"Ann", "+44 7700 900001", customer_id{std::move(id)}}; }

// "s1:12 t1 2p 2500c": each entry of a customer, newest first, readable in a failed check.
std::string briefly(loyalty::ledger const& l, std::string const& customer) {
    std::string out;
    for (auto const& e : l.entries(customer_id{customer})) {
        out += fmt::format("{}{} t{} {}p {}c", out.empty() ? "" : ", ", e.id(), e.ticket.value(), e.points,
                           e.amount_cents);
    }
    return out;
}

// A walk-in with a customerId that is started and completed (paying `amount`, the catalogue's price if none).
scenario& served(scenario& s, customer who, std::uint64_t ticket, std::optional<std::int64_t> amount = std::nullopt) {
    s.given(walk_in(std::move(who)), start("st1", ticket));
    s.after(std::chrono::minutes{30}).given(complete(ticket, amount));
    return s;
}

} // namespace

TEST_SUITE("loyalty.fold") {
    TEST_CASE("a completed service earns one point per 10 units, floored, once, at completion only") {
        auto s = open_salon();
        s.given(walk_in(regular("c-1")));
        CHECK(fold_ledger(s.history()).customers().empty()); // a walk-in earns nothing (the old system did)
        s.given(start("st1", 1));
        s.after(std::chrono::minutes{30}).given(complete(1, 2599));
        auto const l = fold_ledger(s.history());
        CHECK(briefly(l, "c-1") == fmt::format("s1:{} t1 2p 2599c", s.state().seq.value()));
        CHECK(l.balance(customer_id{"c-1"}) == 2);
        auto const& e = l.entries(customer_id{"c-1"}).front();
        CHECK(e.at == s.now());
        CHECK(e.salon == salon_id{"s1"});
    }

    TEST_CASE("the rate in force when the service completed counts, not the one at walk-in or later") {
        auto s = open_salon();
        s.given(walk_in(regular("c-1")), walk_in(regular("c-1")), start("st1", 1));
        s.given(set_loyalty_rate(500)); // 1 point per 5 units, from now on
        s.given(complete(1, 2500), start("st1", 2));
        s.given(set_loyalty_rate(2000), complete(2, 2500), set_loyalty_rate(1));
        CHECK(briefly(fold_ledger(s.history()), "c-1") == fmt::format("s1:{} t2 1p 2500c, s1:{} t1 5p 2500c",
                                                                      s.state().seq.value() - 1,
                                                                      s.state().seq.value() - 4));
    }

    TEST_CASE("no customerId, a zero amount, a cancel, a skip and a no-show earn nothing") {
        auto s = open_salon();
        s.given(walk_in("Bo"), start("st1", 1), complete(1));      // no customerId
        served(s, regular("c-1"), 2, 0);                           // paid nothing
        served(s, regular("c-1"), 3, 999);                         // under one point
        s.given(walk_in(regular("c-1")), walk_in(regular("c-1"))); // 4 and 5
        s.by(staff_actor("mgr")).given(cancel(4), skip(5));
        s.given(walk_in(regular("c-1")));            // 6
        s.by(staff_actor("mgr")).given(close_day()); // 5 and 6: no-shows
        CHECK(fold_ledger(s.history()).customers().empty());
    }

    TEST_CASE("a priority start earns at its completion like any other service") {
        auto s = open_salon();
        walk_ins(s, 2);
        s.given(walk_in(regular("c-9")));
        s.by(staff_actor("mgr")).given(priority(3, "st2"));
        s.given(complete(3));
        CHECK(briefly(fold_ledger(s.history()), "c-9") == fmt::format("s1:{} t3 2p 2500c", s.state().seq.value()));
    }

    TEST_CASE("two salons: one customer's ledger holds both, newest first; each salon has its own rate") {
        auto a = open_salon("Europe/London", "s1");
        auto b = open_salon("Asia/Kolkata", "s2");
        b.given(set_loyalty_rate(100));
        served(a, regular("c-1"), 1);
        b.after(std::chrono::hours{1});
        served(b, regular("c-1"), 1, 1234);
        served(a, regular("c-2"), 2);
        std::vector<event> both = a.history();
        both.insert(both.end(), b.history().begin(), b.history().end());
        auto const l = fold_ledger(both);
        CHECK(briefly(l, "c-1") ==
              fmt::format("s2:{} t1 12p 1234c, s1:{} t1 2p 2500c", b.state().seq.value(), a.state().seq.value() - 3));
        CHECK(l.balance(customer_id{"c-1"}) == 14);
        CHECK(l.balance(customer_id{"c-2"}) == 2);
        CHECK(l.balance(customer_id{"nobody"}) == 0);
    }

    TEST_CASE("an event folded twice changes nothing; one beyond the next seq is a gap, folded all the same") {
        auto s = open_salon();
        served(s, regular("c-1"), 1);
        loyalty::points_fold fold;
        std::size_t earned = 0;
        for (auto const& e : s.history()) {
            earned += fold.apply(e).earned ? 1 : 0;
        }
        auto const once = fold;
        for (auto const& e : s.history()) {
            auto const again = fold.apply(e);
            CHECK(again.how == loyalty::step::duplicate);
            CHECK(!again.earned);
        }
        CHECK(fold == once);
        CHECK(earned == 1);

        auto later = s.history().back();
        later.seq = seq_t{later.seq.value() + 2};
        auto const jumped = fold.apply(later);
        CHECK(jumped.how == loyalty::step::gap);
        CHECK(jumped.earned.has_value());
    }

    TEST_CASE("points: floor division; the cursor round-trips and orders newest first") {
        CHECK(loyalty::points_for(999, 1000) == 0);
        CHECK(loyalty::points_for(1000, 1000) == 1);
        CHECK(loyalty::points_for(10'000'000'000, 1) == 10'000'000'000);
        loyalty::cursor const c{from_unix_ms(1'700'000'000'123), seq_t{42}, salon_id{"salon.one:2"}};
        CHECK(loyalty::format_cursor(c) == "1700000000123.42.salon.one:2");
        CHECK(loyalty::parse_cursor(loyalty::format_cursor(c)) == c);
        CHECK(loyalty::parse_cursor("999999999999999.9999999999999999999.s1")); // the spec's longest
        for (auto bad : {"", "1.2", "x.2.s1", "1.x.s1", "1.2.", "-1.2.s1", "1.2.s 1", "1.2.s/1", "+1.2.s1"}) {
            CAPTURE(bad);
            CHECK(!loyalty::parse_cursor(bad));
        }
        loyalty::cursor const older{from_unix_ms(1'700'000'000'000), seq_t{50}, salon_id{"a"}};
        loyalty::cursor const same_time_lower_seq{c.at, seq_t{41}, c.salon};
        CHECK(loyalty::before(c, older));
        CHECK(!loyalty::before(older, c));
        CHECK(loyalty::before(c, same_time_lower_seq));
        CHECK(!loyalty::before(c, c));
    }
}

} // namespace salonq::test
