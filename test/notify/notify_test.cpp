// Notifications in the domain's style: given a salon's events (decided and folded by the real domain), then what
// its customers are told; the webhook's JSON, its signature and the retry policy.

#include "notify/deliver/payload.hpp"
#include "notify/deliver/retry.hpp"
#include "notify/deliver/signature.hpp"
#include "notify/derive/notifier.hpp"
#include "test/engine/scenario.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

namespace salonq::test {
namespace {

using namespace salonq::notify;
using std::chrono::milliseconds;
using std::chrono::minutes;

// Feeds the scenario's history from `from` on (an index into it) and returns what was derived.
std::vector<notification> told(salon_notifier& n, scenario const& s, std::size_t& from, notify_rules const& rules) {
    std::vector<notification> out;
    for (; from < s.history().size(); ++from) {
        auto more = n.apply(s.history()[from], rules);
        out.insert(out.end(), more.begin(), more.end());
    }
    return out;
}

// "almost_your_turn(1@1) called(1@0)": kind, ticket and position of each, readable in a failed check.
std::string briefly(std::vector<notification> const& ns) {
    std::string out;
    for (auto const& n : ns) {
        out += fmt::format("{}{}({}@{})", out.empty() ? "" : " ", to_string(n.kind), n.ticket.value(), n.position);
    }
    return out;
}

using k = notification_kind;

} // namespace

TEST_SUITE("notify.derive") {
    TEST_CASE("almost your turn at position 2, called, skipped, restored: each told once, in order") {
        notify_rules rules;
        rules.almost_at = 2;
        auto s = open_salon();
        salon_notifier n;
        std::size_t seen = 0;
        CHECK(told(n, s, seen, rules).empty()); // opening the salon tells nobody

        s.given(walk_in(customer{"Ann", "+44 7700 900001", customer_id{"cust-1"}}));
        auto const first = told(n, s, seen, rules);
        CHECK(briefly(first) == "almost_your_turn(1@1)");
        REQUIRE(first.size() == 1);
        CHECK(first[0].customer.phone == "+44 7700 900001");
        CHECK(first[0].customer.id == customer_id{"cust-1"});
        CHECK(first[0].token == s.ticket_of(1).tok.str());
        CHECK(first[0].id == fmt::format("s1:{}:almost_your_turn:1", s.state().seq.value()));

        s.after(minutes{1}).given(walk_in("Bo"), walk_in("Cy"));
        CHECK(briefly(told(n, s, seen, rules)) == "almost_your_turn(2@2)");

        s.after(minutes{1}).given(start("st1")); // Ann is called; Cy moves up to 2
        auto const called = told(n, s, seen, rules);
        CHECK(briefly(called) == "called(1@0) almost_your_turn(3@2)");
        REQUIRE(!called.empty());
        CHECK(called[0].staff == staff_id{"st1"});

        s.by(staff_actor("mgr")).given(skip(2)); // Bo is skipped; Cy is first, already told
        CHECK(briefly(told(n, s, seen, rules)) == "skipped(2@1)");

        s.by(staff_actor("mgr")).given(undo_skip(2)); // Bo is back at the front, and told again
        CHECK(briefly(told(n, s, seen, rules)) == "restored(2@1) almost_your_turn(2@1)");

        s.given(complete(1), cancel(3)); // nobody new comes near
        CHECK(told(n, s, seen, rules).empty());
        CHECK(n.contacts().size() == 1); // Bo's only: Ann served, Cy cancelled
    }

    TEST_CASE("rules: what a salon turned off is not derived; a priority start calls too") {
        notify_rules rules;
        rules.almost_at = 0;
        rules.skipped = false;
        auto s = open_salon();
        walk_ins(s, 3);
        s.by(staff_actor("mgr")).given(skip(1));
        s.by(staff_actor("mgr")).given(priority(3, "st2"));
        salon_notifier n;
        std::size_t seen = 0;
        CHECK(briefly(told(n, s, seen, rules)) == "called(3@0)");
    }

    TEST_CASE("derived again from the same events, the same notifications with the same ids; restore round-trips") {
        notify_rules const rules;
        auto s = open_salon();
        walk_ins(s, 6);
        s.given(start("st1"), start("st2"), complete(1));
        salon_notifier a;
        salon_notifier b;
        std::size_t sa = 0;
        std::size_t sb = 0;
        auto const first = told(a, s, sa, rules);
        CHECK(first == told(b, s, sb, rules));
        CHECK(briefly(first) == "almost_your_turn(1@1) almost_your_turn(2@2) almost_your_turn(3@3) called(1@0) "
                                "almost_your_turn(4@3) called(2@0) almost_your_turn(5@3)");
        auto copy = salon_notifier::restore(a.queue(), a.contacts(), a.told());
        CHECK(copy == a);
        CHECK(a.queue().recently_ended.empty()); // ticket 1 completed: nothing the rules read, nothing to checkpoint
    }
}

TEST_SUITE("notify.deliver") {
    TEST_CASE("the webhook's JSON round-trips; a wrong one names the field") {
        notification n;
        n.id = "s1:12:called:4";
        n.kind = k::called;
        n.salon = salon_id{"s1"};
        n.seq = seq_t{12};
        n.at = utc(2026, 11, 29, 10, 0);
        n.ticket = tid(4);
        n.token = "B04";
        n.customer = customer{"Ann \"A\"", "+1 555 0100", customer_id{"c-9"}};
        n.staff = staff_id{"st1"};
        auto const json = encode_notification(n);
        CHECK(json ==
              R"({"id":"s1:12:called:4","type":"called","salonId":"s1","seq":12,"at":"2026-11-29T10:00:00.000Z",)"
              R"("ticket":{"ticketId":4,"token":"B04","position":0},"customer":{"name":"Ann \"A\"",)"
              R"("phone":"+1 555 0100","customerId":"c-9"},"staffId":"st1"})");
        auto back = decode_notification(json);
        REQUIRE_MESSAGE(back, back.error());
        CHECK(*back == n);
        n.customer = {};
        n.staff.reset();
        CHECK(encode_notification(n).find("customer") == std::string::npos);
        CHECK(decode_notification(R"({"id":"x","type":"waved"})").error().starts_with("type"));
    }

    TEST_CASE("signatures: the receiver's check passes, and fails for another body, secret, time or form") {
        auto const body = std::string{R"({"id":"s1:1:called:1"})"};
        auto const header = sign("secret-1", 1'800'000'000, body);
        CHECK(header.starts_with("t=1800000000,v1="));
        CHECK(header.size() == std::string_view{"t=1800000000,v1="}.size() + 64);
        // The recipe docs/notify.md gives receivers (Python's hmac over "<t>.<body>"), computed there.
        CHECK(header == "t=1800000000,v1=ce4b3f9f455a76db7711b3489e7b091a5adc5268231f7795975bcdcad54ce0af");
        CHECK(verify_signature("secret-1", header, body, 1'800'000'100) == signature_check::ok);
        CHECK(verify_signature("secret-1", header, body + " ", 1'800'000'100) == signature_check::mismatch);
        CHECK(verify_signature("secret-2", header, body, 1'800'000'100) == signature_check::mismatch);
        CHECK(verify_signature("secret-1", header, body, 1'800'000'301) == signature_check::too_old);
        CHECK(verify_signature("secret-1", "v1=abc", body, 1'800'000'000) == signature_check::malformed);
        // A replay with a fresh timestamp but the old MAC does not pass.
        auto forged = header;
        forged.replace(2, 10, "1800000200");
        CHECK(verify_signature("secret-1", forged, body, 1'800'000'200) == signature_check::mismatch);
    }

    TEST_CASE("retries back off exponentially with jitter, up to the cap, then the delivery is dead") {
        retry_policy const p{milliseconds{1000}, milliseconds{60'000}, 6};
        for (std::uint32_t attempt = 1; attempt < 6; ++attempt) {
            auto const full = std::min<std::int64_t>(1000LL << (attempt - 1), 60'000);
            CAPTURE(attempt);
            CHECK(p.after_failure(attempt, 0.0) == milliseconds{full - full / 2});
            CHECK(p.after_failure(attempt, 0.999)->count() <= full);
            CHECK(p.after_failure(attempt, 0.999)->count() >= full - full / 2);
        }
        CHECK_FALSE(p.after_failure(6, 0.5));
        retry_policy const capped{milliseconds{1000}, milliseconds{5000}, 100};
        CHECK(capped.after_failure(50, 1.0) == milliseconds{5000});
    }
}

} // namespace salonq::test
