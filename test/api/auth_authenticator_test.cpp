// The authenticator a server holds: a header in, a principal out; a revocation and a key rotation made by other
// processes (here: other objects on the same files) take effect at its next refresh, without a restart.

#include "api/auth/authenticator.hpp"
#include "api/auth/keyring_file.hpp"
#include "api/auth/revocation.hpp"
#include "api/auth/ticket_link.hpp"
#include "test/api/auth_support.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

namespace salonq::test::auth {
namespace {

// A server's authenticator over <dir>/data, and the files other processes change under it.
struct server {
    temp_dir dir;
    std::filesystem::path keyring_file = a::default_keyring_path(dir / "data");
    std::unique_ptr<a::authenticator> gate = must(a::authenticator::open({.data = dir / "data"}, now));

    // A pos token signed with keys.
    static a::issued_token pos_token(a::keyring const& keys) {
        a::token_request r;
        r.subject = "pos7";
        r.role = a::role::pos;
        r.salons = {engine::salon_id{"s1"}};
        r.ttl = 8h;
        return must(a::issue_token(keys, r, now));
    }
    [[nodiscard]] bool accepts(a::issued_token const& t) const {
        return gate->authenticate("Bearer " + t.token, now).has_value();
    }
    [[nodiscard]] a::errc refusal(a::issued_token const& t) const {
        auto p = gate->authenticate("Bearer " + t.token, now);
        REQUIRE_FALSE(p);
        return p.error().code;
    }
};

} // namespace

TEST_SUITE("auth.authenticator") {
    TEST_CASE("a bearer header becomes a principal; a missing one is token_missing") {
        server s;
        auto const issued = server::pos_token(must(a::load_keyring(s.keyring_file))); // made by open
        auto p = s.gate->authenticate("Bearer " + issued.token, now);
        REQUIRE_MESSAGE(p, p.error().message);
        CHECK(p->subject == "pos7");
        CHECK(s.gate->authenticate("", now).error().code == a::errc::token_missing);
        CHECK(s.gate->authenticate("Bearer x.y", now).error().code == a::errc::token_malformed);
    }

    TEST_CASE("a revocation and a rotation by another process take effect at the next refresh") {
        server s;
        auto const first = must(a::load_keyring(s.keyring_file));
        auto const old_token = server::pos_token(first);
        auto const second = must(a::rotate_keyring(s.keyring_file, now)); // `salonq keys rotate`
        auto const new_token = server::pos_token(second);
        CHECK(s.refusal(new_token) == a::errc::unknown_key);
        REQUIRE(s.gate->refresh());
        CHECK(s.accepts(new_token));
        CHECK(s.accepts(old_token));

        auto cli = must(a::file_revocations::open(a::default_revocations_path(s.dir / "data"))); // `token revoke`
        REQUIRE(cli->revoke(old_token.jti, old_token.expires, now));
        CHECK(s.accepts(old_token));
        REQUIRE(s.gate->refresh());
        CHECK(s.refusal(old_token) == a::errc::token_revoked);

        REQUIRE(a::retire_key(s.keyring_file, first.current().kid)); // `salonq keys retire`
        REQUIRE(a::rotate_keyring(s.keyring_file, now));             // two changes between refreshes
        REQUIRE(s.gate->refresh());
        CHECK(s.accepts(new_token));
        CHECK(s.refusal(server::pos_token(first)) == a::errc::unknown_key);
    }

    TEST_CASE("a token verified once is remembered: a revocation, its expiry and a retired key still refuse it") {
        server s;
        auto const keys = must(a::load_keyring(s.keyring_file));
        auto const token = server::pos_token(keys);
        REQUIRE(s.accepts(token));         // verified in full, then remembered
        REQUIRE(s.accepts(token));         // from the cache
        auto const later = now + 8h + 31s; // past exp and the 30 s leeway
        auto const late = s.gate->authenticate("Bearer " + token.token, later);
        REQUIRE_FALSE(late);
        CHECK(late.error().code == a::errc::token_expired);
        CHECK(s.gate->authenticate("Bearer " + token.token, now + 8h + 30s)); // within the leeway, as before

        auto cli = must(a::file_revocations::open(a::default_revocations_path(s.dir / "data")));
        REQUIRE(cli->revoke(token.jti, token.expires, now));
        CHECK(s.accepts(token)); // not refreshed yet: this server does not know
        REQUIRE(s.gate->refresh());
        CHECK(s.refusal(token) == a::errc::token_revoked);
        CHECK(s.refusal(token) == a::errc::token_revoked); // and again: a refusal is never remembered

        auto const other = server::pos_token(keys);
        REQUIRE(s.accepts(other));
        REQUIRE(a::rotate_keyring(s.keyring_file, now));
        REQUIRE(a::retire_key(s.keyring_file, keys.current().kid));
        REQUIRE(s.gate->refresh());
        CHECK(s.refusal(other) == a::errc::unknown_key);
    }

    TEST_CASE("a stream's lease holds while its token would verify: not past exp + leeway, revoked or key retired") {
        server s;
        auto const keys = must(a::load_keyring(s.keyring_file));
        auto const token = server::pos_token(keys);
        auto const who = must(s.gate->authenticate("Bearer " + token.token, now));
        auto const lease = who.lease();
        CHECK(lease.jti == token.jti);
        CHECK(lease.kid == keys.current().kid);
        CHECK(lease.expires == token.expires);
        CHECK(s.gate->still_valid(lease, now));
        CHECK(s.gate->still_valid(lease, now + 8h + 30s)); // the leeway, as a request has it
        CHECK_FALSE(s.gate->still_valid(lease, now + 8h + 31s));

        auto const other = server::pos_token(keys);
        auto const other_lease = must(s.gate->authenticate("Bearer " + other.token, now)).lease();
        auto cli = must(a::file_revocations::open(a::default_revocations_path(s.dir / "data")));
        REQUIRE(cli->revoke(token.jti, token.expires, now));
        REQUIRE(s.gate->refresh());
        CHECK_FALSE(s.gate->still_valid(lease, now));
        CHECK(s.gate->still_valid(other_lease, now)); // another token of the same key and bearer

        REQUIRE(a::rotate_keyring(s.keyring_file, now));
        REQUIRE(s.gate->refresh());
        CHECK(s.gate->still_valid(other_lease, now)); // the old key is still held after a rotation
        REQUIRE(a::retire_key(s.keyring_file, keys.current().kid));
        REQUIRE(s.gate->refresh());
        CHECK_FALSE(s.gate->still_valid(other_lease, now));
    }

    TEST_CASE("the token cache: keyed by the token, bounded, entries end at exp + leeway, cleared entries stay out") {
        a::token_cache cache{2, 30s};
        a::principal who;
        who.subject = "pos7";
        who.jti = "j1";
        who.expires = now + 1h;
        CHECK_FALSE(cache.find("t1", now));
        cache.insert("t1", who, now, cache.generation());
        auto hit = cache.find("t1", now);
        REQUIRE(hit);
        CHECK(hit->subject == "pos7");
        CHECK_FALSE(cache.find("t2", now));
        CHECK(cache.find("t1", now + 1h + 30s));
        CHECK_FALSE(cache.find("t1", now + 1h + 31s));

        cache.insert("t2", who, now, cache.generation());
        cache.insert("t3", who, now, cache.generation());
        CHECK(cache.size() == 2); // the capacity
        CHECK(cache.find("t3", now));

        auto const before = cache.generation();
        cache.clear(); // keys replaced while "t4" was being verified with the old ones
        cache.insert("t4", who, now, before);
        CHECK(cache.size() == 0);
        CHECK_FALSE(cache.find("t4", now));

        a::token_cache off{0};
        off.insert("t1", who, now, off.generation());
        CHECK_FALSE(off.find("t1", now));
    }

    TEST_CASE("a keyring made unsafe is not reloaded: the keys in use stay, and refresh says why") {
        server s;
        auto const keys = must(a::rotate_keyring(s.keyring_file, now));
        REQUIRE(::chmod(s.keyring_file.c_str(), 0644) == 0);
        auto refreshed = s.gate->refresh();
        REQUIRE_FALSE(refreshed);
        CHECK(refreshed.error().code == a::errc::keyring_unsafe);
        CHECK(s.refusal(server::pos_token(keys)) == a::errc::unknown_key);
    }

    TEST_CASE("link codes come from the keyring's link secret, which a rotation keeps") {
        server s;
        auto const code = s.gate->link_code(engine::salon_id{"s1"}, engine::ticket_id{3});
        CHECK(s.gate->check_link(engine::salon_id{"s1"}, engine::ticket_id{3}, code));
        CHECK_FALSE(s.gate->check_link(engine::salon_id{"s1"}, engine::ticket_id{4}, code));
        REQUIRE(a::rotate_keyring(s.keyring_file, now));
        REQUIRE(s.gate->refresh());
        CHECK(s.gate->check_link(engine::salon_id{"s1"}, engine::ticket_id{3}, code));
    }

    TEST_CASE("a keyring replaced with another link secret makes and checks the links of the new one") {
        server s;
        engine::salon_id const s1{"s1"};
        auto const old_code = s.gate->link_code(s1, engine::ticket_id{3});
        std::filesystem::remove(s.keyring_file);
        auto const fresh = must(a::load_or_create_keyring(s.keyring_file, now)); // a new file, new secrets
        REQUIRE(s.gate->refresh());
        auto const new_code = a::ticket_link_code(fresh.link_secret(), s1, engine::ticket_id{3});
        CHECK(new_code != old_code);
        CHECK(s.gate->link_code(s1, engine::ticket_id{3}) == new_code);
        CHECK(s.gate->check_link(s1, engine::ticket_id{3}, new_code));
        CHECK_FALSE(s.gate->check_link(s1, engine::ticket_id{3}, old_code));
    }
}

} // namespace salonq::test::auth
