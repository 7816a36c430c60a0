// Tokens: what the issuer signs verifies to the right principal, and every bad token is refused with its own code
// (the refusal matrix), key rotation by kid, the leeway, revocation, bearer headers and lifetimes.

#include "api/auth/token.hpp"
#include "test/api/auth_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

namespace salonq::test::auth {
namespace {

using a::errc;

struct fixture {
    memory_revocations revoked;
    a::keyring keys = ring({test_key("k1", 'a')});
    a::verifier verifier{keys, revoked};

    [[nodiscard]] errc refusal(std::string const& token, std::chrono::sys_seconds at = now) const {
        auto p = verifier.verify(token, at);
        REQUIRE_MESSAGE(!p, "accepted: " << token);
        CHECK_FALSE(p.error().message.empty());
        return p.error().code;
    }
    [[nodiscard]] std::string signed_claims(claims const& c) const {
        return mint(hs256_header("k1"), json_of(c), std::string(32, 'a'));
    }
    [[nodiscard]] errc refusal_of(claims const& c) const { return refusal(signed_claims(c)); }
};

a::token_request manager_request() {
    a::token_request r;
    r.subject = "ana";
    r.role = a::role::manager;
    r.salons = {engine::salon_id{"s1"}, engine::salon_id{"s2"}};
    r.staff = engine::staff_id{"st1"};
    r.ttl = 8h;
    return r;
}

} // namespace

TEST_SUITE("auth.token") {
    TEST_CASE("an issued token verifies to its principal") {
        fixture f;
        auto issued = a::issue_token(f.keys, manager_request(), now);
        REQUIRE_MESSAGE(issued, issued.error().message);
        CHECK(issued->kid == "k1");
        CHECK(issued->expires == now + 8h);
        CHECK(issued->jti.size() == 32); // 16 random bytes

        auto p = f.verifier.verify(issued->token, now + 1h);
        REQUIRE_MESSAGE(p, p.error().message);
        CHECK(p->subject == "ana");
        CHECK(p->role == a::role::manager);
        CHECK_FALSE(p->all_salons);
        CHECK(p->salons == std::vector{engine::salon_id{"s1"}, engine::salon_id{"s2"}});
        CHECK(p->staff == engine::staff_id{"st1"});
        CHECK(p->jti == issued->jti);
        CHECK(p->expires == now + 8h);
    }

    TEST_CASE("a hand-minted HS256 token with every claim right verifies (the baseline of the matrix)") {
        fixture f;
        auto p = f.verifier.verify(f.signed_claims(manager_claims()), now);
        REQUIRE_MESSAGE(p, p.error().message);
        CHECK(p->jti == "jti-1");
    }

    TEST_CASE("two issued tokens have different jtis") {
        fixture f;
        auto one = a::issue_token(f.keys, manager_request(), now);
        auto two = a::issue_token(f.keys, manager_request(), now);
        REQUIRE((one && two));
        CHECK(one->jti != two->jti);
    }

    TEST_CASE("a jti is 32 lowercase hex digits: never a leading '-' that `token revoke` would read as an option") {
        fixture f;
        for (int i = 0; i < 200; ++i) {
            auto issued = a::issue_token(f.keys, manager_request(), now);
            REQUIRE(issued);
            REQUIRE(issued->jti.size() == 32);
            REQUIRE(std::ranges::all_of(issued->jti,
                                        [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
            REQUIRE(a::is_issued_jti(issued->jti));
        }
        CHECK(a::is_issued_jti("Zm9vYmFyYmF6cXV4LXF1dQ")); // 22 base64url: what the issuer made until 2026-11-29
        for (auto const* not_ours : {"", "nonsense", "0123456789abcdef0123456789ABCDEF",
                                     "0123456789abcdef0123456789abcde", "Zm9vYmFyYmF6cXV4LXF1d=", "jti-1"}) {
            CAPTURE(not_ours);
            CHECK_FALSE(a::is_issued_jti(not_ours));
        }
    }

    TEST_CASE("refused: no token, and what is not three base64url parts") {
        fixture f;
        CHECK(f.refusal("") == errc::token_missing);
        CHECK(f.refusal("abc") == errc::token_malformed);
        CHECK(f.refusal("a.b") == errc::token_malformed);
        CHECK(f.refusal("a.b.c.d") == errc::token_malformed);
        CHECK(f.refusal("!!!.e30.sig") == errc::token_malformed);
        CHECK(f.refusal(a::base64url_encode("not json") + ".e30.sig") == errc::token_malformed);
        CHECK(f.refusal(a::base64url_encode(R"({"kid":"k1"})") + ".e30.sig") == errc::token_malformed); // no alg
        auto huge = f.signed_claims(manager_claims());
        huge.insert(huge.find('.') + 1, std::string(9000, 'A'));
        CHECK(f.refusal(huge) == errc::token_malformed);
    }

    TEST_CASE("refused: alg none, HS512, RS256, and an HS512 MAC under an HS256 header") {
        fixture f;
        auto const secret = std::string(32, 'a');
        auto const payload = json_of(manager_claims());
        CHECK(f.refusal(mint(R"({"alg":"none","kid":"k1"})", payload, secret, nullptr)) == errc::token_unsupported_alg);
        CHECK(f.refusal(mint(R"({"alg":"none"})", payload, secret, nullptr)) == errc::token_unsupported_alg);
        CHECK(f.refusal(mint(R"({"alg":"HS512","typ":"JWT","kid":"k1"})", payload, secret, EVP_sha512())) ==
              errc::token_unsupported_alg);
        CHECK(f.refusal(mint(R"({"alg":"RS256","kid":"k1"})", payload, secret)) == errc::token_unsupported_alg);
        CHECK(f.refusal(mint(hs256_header("k1"), payload, secret, EVP_sha512())) == errc::token_invalid);
        // A header naming alg twice: salonq's reader sees the first, libjwt the last; either way it is refused.
        CHECK(f.refusal(mint(R"({"alg":"HS256","kid":"k1","alg":"none"})", payload, secret, nullptr)) ==
              errc::token_invalid);
        CHECK(f.refusal(mint(R"({"alg":"HS256","kid":"k1","alg":"HS512"})", payload, secret, EVP_sha512())) ==
              errc::token_unsupported_alg);
    }

    TEST_CASE("refused: a wrong secret, a changed payload, a cut signature") {
        fixture f;
        CHECK(f.refusal(mint(hs256_header("k1"), json_of(manager_claims()), std::string(32, 'b'))) ==
              errc::token_invalid);
        auto const good = f.signed_claims(manager_claims());
        auto const dot = good.rfind('.');
        auto other = manager_claims();
        other["role"] = R"("admin")";
        other["salons"] = R"("*")";
        other.erase("staff");
        auto const forged = f.signed_claims(other);
        CHECK(f.refusal(forged.substr(0, forged.rfind('.')) + good.substr(dot)) == errc::token_invalid);
        CHECK(f.refusal(good.substr(0, good.size() - 2)) == errc::token_invalid);
        CHECK(f.refusal(good.substr(0, dot + 1)) == errc::token_invalid);
    }

    TEST_CASE("refused: an unknown kid, and no kid") {
        fixture f;
        auto const payload = json_of(manager_claims());
        CHECK(f.refusal(mint(hs256_header("k9"), payload, std::string(32, 'a'))) == errc::unknown_key);
        CHECK(f.refusal(mint(R"({"alg":"HS256","typ":"JWT"})", payload, std::string(32, 'a'))) == errc::unknown_key);
    }

    TEST_CASE("refused: expired beyond the leeway; accepted within it") {
        fixture f;
        auto c = manager_claims();
        c["exp"] = std::to_string(now.time_since_epoch().count() - 31);
        CHECK(f.refusal_of(c) == errc::token_expired);
        c["exp"] = std::to_string(now.time_since_epoch().count() - 29);
        CHECK(f.verifier.verify(f.signed_claims(c), now));
        auto issued = a::issue_token(f.keys, manager_request(), now);
        REQUIRE(issued);
        CHECK(f.refusal(issued->token, now + 8h + 31s) == errc::token_expired);
    }

    TEST_CASE("refused: not yet valid (nbf or iat ahead beyond the leeway)") {
        fixture f;
        auto c = manager_claims();
        c["nbf"] = std::to_string(now.time_since_epoch().count() + 120);
        CHECK(f.refusal_of(c) == errc::token_not_yet_valid);
        c.erase("nbf");
        c["iat"] = std::to_string(now.time_since_epoch().count() + 120);
        CHECK(f.refusal_of(c) == errc::token_not_yet_valid);
        c["iat"] = std::to_string(now.time_since_epoch().count() + 20);
        CHECK(f.verifier.verify(f.signed_claims(c), now));
    }

    TEST_CASE("refused: each required claim missing") {
        fixture f;
        for (auto const* name : {"sub", "role", "salons", "exp", "jti", "staff"}) {
            CAPTURE(name);
            auto c = manager_claims();
            c.erase(name);
            CHECK(f.refusal_of(c) == errc::claims_invalid);
        }
    }

    TEST_CASE("refused: claims of the wrong type or value") {
        fixture f;
        std::vector<std::pair<std::string, std::string>> const wrong{
            {"exp", R"("1800003600")"},
            {"exp", "1800003600.5"},
            {"exp", "true"},
            {"iat", R"("x")"},
            {"nbf", "[]"},
            {"sub", "42"},
            {"sub", R"("")"},
            {"sub", R"("a b")"},
            {"role", "1"},
            {"role", R"("boss")"},
            {"role", R"("Admin")"},
            {"salons", "42"},
            {"salons", R"("s1")"},
            {"salons", "[]"},
            {"salons", "[1]"},
            {"salons", R"(["a b"])"},
            {"salons", R"("*")"},
            {"staff", "7"},
            {"staff", R"("")"},
            {"jti", "1"},
            {"jti", R"("")"},
            {"jti", R"("a b")"},
        };
        for (auto const& [name, value] : wrong) {
            CAPTURE(name);
            CAPTURE(value);
            auto c = manager_claims();
            c[name] = value;
            CHECK(f.refusal_of(c) == errc::claims_invalid);
        }
        auto pos = manager_claims();
        pos["role"] = R"("pos")"; // a terminal acts as no staff member
        CHECK(f.refusal_of(pos) == errc::claims_invalid);
        pos.erase("staff");
        CHECK(f.verifier.verify(f.signed_claims(pos), now));
    }

    TEST_CASE("admin may hold \"*\"; extra claims are ignored") {
        fixture f;
        auto c = manager_claims();
        c["role"] = R"("admin")";
        c["salons"] = R"("*")";
        c.erase("staff");
        c["iss"] = R"("someone")";
        auto p = f.verifier.verify(f.signed_claims(c), now);
        REQUIRE_MESSAGE(p, p.error().message);
        CHECK(p->all_salons);
        CHECK(p->salons.empty());
    }

    TEST_CASE("monitor reaches no salon: salons [] verifies, a salon or \"*\" does not") {
        fixture f;
        auto c = manager_claims();
        c["role"] = R"("monitor")";
        c.erase("staff");
        c["salons"] = "[]";
        auto p = f.verifier.verify(f.signed_claims(c), now);
        REQUIRE_MESSAGE(p, p.error().message);
        CHECK(p->role == a::role::monitor);
        CHECK(p->salons.empty());
        CHECK_FALSE(p->all_salons);
        c["salons"] = R"(["s1"])";
        CHECK(f.refusal_of(c) == errc::claims_invalid);
        c["salons"] = R"("*")";
        CHECK(f.refusal_of(c) == errc::claims_invalid);
        c["salons"] = "[]";
        c["staff"] = R"("st7")";
        CHECK(f.refusal_of(c) == errc::claims_invalid);
    }

    TEST_CASE("refused: a revoked jti") {
        fixture f;
        auto issued = a::issue_token(f.keys, manager_request(), now);
        REQUIRE(issued);
        CHECK(f.verifier.verify(issued->token, now));
        f.revoked.jtis.insert(issued->jti);
        CHECK(f.refusal(issued->token) == errc::token_revoked);
    }

    TEST_CASE("rotation: tokens of the old and the new key verify; a dropped key's do not") {
        memory_revocations none;
        auto const first = ring({test_key("k1", 'a')});
        auto old_token = a::issue_token(first, manager_request(), now);
        REQUIRE(old_token);
        auto second = first.rotated(now);
        REQUIRE(second);
        CHECK(second->current().kid != "k1");
        auto new_token = a::issue_token(*second, manager_request(), now);
        REQUIRE(new_token);
        CHECK(new_token->kid == second->current().kid);

        a::verifier v{first, none};
        CHECK(v.verify(old_token->token, now));
        CHECK(v.verify(new_token->token, now).error().code == errc::unknown_key); // not reloaded yet
        v.replace_keys(*second);
        CHECK(v.verify(old_token->token, now));
        CHECK(v.verify(new_token->token, now));

        auto retired = second->without("k1");
        REQUIRE(retired);
        v.replace_keys(*retired);
        CHECK(v.verify(old_token->token, now).error().code == errc::unknown_key);
        CHECK(v.verify(new_token->token, now));
        CHECK(second->without(second->current().kid).error().code == errc::invalid_request);

        // Rotating beyond max_keys drops the oldest.
        auto r = *second;
        for (std::size_t i = 0; i < a::keyring::max_keys; ++i) {
            auto next = r.rotated(now);
            REQUIRE(next);
            r = std::move(*next);
        }
        CHECK(r.keys().size() == a::keyring::max_keys);
        CHECK(r.find("k1") == nullptr);
    }

    TEST_CASE("the issuer refuses what the verifier would") {
        a::keyring const keys = ring({test_key("k1", 'a')});
        auto refused = [&](a::token_request const& r) {
            auto t = a::issue_token(keys, r, now);
            return !t && t.error().code == errc::invalid_request;
        };
        auto r = manager_request();
        r.staff.reset();
        CHECK(refused(r)); // a manager acts as a staff member
        r = manager_request();
        r.all_salons = true;
        r.salons.clear();
        CHECK(refused(r)); // "*" is admin's
        r.role = a::role::admin;
        r.staff.reset();
        CHECK_FALSE(refused(r));
        r = manager_request();
        r.salons.clear();
        CHECK(refused(r));
        r = manager_request();
        r.ttl = 0s;
        CHECK(refused(r));
        r.ttl = a::longest_token_life + 1s;
        CHECK(refused(r));
        r = manager_request();
        r.subject = "two words";
        CHECK(refused(r));
        r = manager_request();
        r.salons = {engine::salon_id{"s\"1"}};
        CHECK(refused(r));
        r = manager_request();
        r.role = a::role::monitor;
        r.staff.reset();
        CHECK(refused(r)); // a monitor names no salon
        r.salons.clear();
        CHECK_FALSE(refused(r));
    }

    TEST_CASE("lifetimes and bearer headers") {
        CHECK(a::parse_ttl("8h") == std::chrono::seconds{8h});
        CHECK(a::parse_ttl("30m") == std::chrono::seconds{30min});
        CHECK(a::parse_ttl("90s") == std::chrono::seconds{90});
        CHECK(a::parse_ttl("7d") == std::chrono::seconds{std::chrono::days{7}});
        for (auto const* bad : {"", "h", "8", "8x", "-8h", "0h", "8 h", "1.5h", "h8"}) {
            CAPTURE(bad);
            CHECK(a::parse_ttl(bad).error().code == errc::invalid_request);
        }
        CHECK(a::bearer_token("Bearer abc.def.ghi") == "abc.def.ghi");
        CHECK(a::bearer_token("bearer  abc ") == "abc");
        CHECK(a::bearer_token("").error().code == errc::token_missing);
        CHECK(a::bearer_token("Bearer ").error().code == errc::token_missing);
        CHECK(a::bearer_token("Basic dXNlcjpwYXNz").error().code == errc::token_malformed);
        CHECK(a::bearer_token("Bearerabc").error().code == errc::token_malformed);
    }

    TEST_CASE("base64url round trips and refuses what is not base64url") {
        for (std::string const s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
            CHECK(a::base64url_decode(a::base64url_encode(s)) == s);
        }
        CHECK(a::base64url_encode("\xfb\xff") == "-_8");
        for (auto const* bad : {"a", "ab=", "a+b/", "ab c", "-_9"}) {
            CAPTURE(bad);
            CHECK_FALSE(a::base64url_decode(bad));
        }
    }
}

} // namespace salonq::test::auth
