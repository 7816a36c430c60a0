// The authenticator a server holds: a header in, a principal out; a revocation and a key rotation made by other
// processes (here: other objects on the same files) take effect at its next refresh, without a restart.

#include "api/auth/authenticator.hpp"
#include "api/auth/keyring_file.hpp"
#include "api/auth/revocation.hpp"
#include "test/api/auth_support.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

namespace salonq::test::auth {
namespace {

a::token_request pos_request() {
    a::token_request r;
    r.subject = "pos7";
    r.role = a::role::pos;
    r.salons = {engine::salon_id{"s1"}};
    r.ttl = 8h;
    return r;
}

std::unique_ptr<a::authenticator> open_authenticator(temp_dir const& dir) {
    auto opened = a::authenticator::open({.data = dir / "data"}, now);
    REQUIRE_MESSAGE(opened, opened.error().message);
    return std::move(*opened);
}

} // namespace

TEST_SUITE("auth.authenticator") {
    TEST_CASE("a bearer header becomes a principal; a missing one is token_missing") {
        temp_dir dir;
        auto gate = open_authenticator(dir);
        auto keys = a::load_keyring(a::default_keyring_path(dir / "data")); // made by open
        REQUIRE(keys);
        auto issued = a::issue_token(*keys, pos_request(), now);
        REQUIRE(issued);
        auto p = gate->authenticate("Bearer " + issued->token, now);
        REQUIRE_MESSAGE(p, p.error().message);
        CHECK(p->subject == "pos7");
        CHECK(gate->authenticate("", now).error().code == a::errc::token_missing);
        CHECK(gate->authenticate("Bearer x.y", now).error().code == a::errc::token_malformed);
    }

    TEST_CASE("a revocation and a rotation by another process take effect at the next refresh") {
        temp_dir dir;
        auto gate = open_authenticator(dir);
        auto const keyring_file = a::default_keyring_path(dir / "data");
        auto first = a::load_keyring(keyring_file);
        REQUIRE(first);
        auto old_token = a::issue_token(*first, pos_request(), now);
        REQUIRE(old_token);

        auto second = a::rotate_keyring(keyring_file, now); // `salonq keys rotate`
        REQUIRE(second);
        auto new_token = a::issue_token(*second, pos_request(), now);
        REQUIRE(new_token);
        CHECK(gate->authenticate("Bearer " + new_token->token, now).error().code == a::errc::unknown_key);
        REQUIRE(gate->refresh());
        CHECK(gate->authenticate("Bearer " + new_token->token, now));
        CHECK(gate->authenticate("Bearer " + old_token->token, now));

        auto cli = a::file_revocations::open(a::default_revocations_path(dir / "data")); // `salonq token revoke`
        REQUIRE(cli);
        REQUIRE((*cli)->revoke(old_token->jti, old_token->expires, now));
        CHECK(gate->authenticate("Bearer " + old_token->token, now));
        REQUIRE(gate->refresh());
        CHECK(gate->authenticate("Bearer " + old_token->token, now).error().code == a::errc::token_revoked);

        REQUIRE(a::retire_key(keyring_file, first->current().kid)); // `salonq keys retire`
        REQUIRE(a::rotate_keyring(keyring_file, now));              // two changes between refreshes
        REQUIRE(gate->refresh());
        CHECK(gate->authenticate("Bearer " + new_token->token, now));
        auto other = a::issue_token(*first, pos_request(), now);
        REQUIRE(other);
        CHECK(gate->authenticate("Bearer " + other->token, now).error().code == a::errc::unknown_key);
    }

    TEST_CASE("a keyring made unsafe is not reloaded: the keys in use stay, and refresh says why") {
        temp_dir dir;
        auto gate = open_authenticator(dir);
        auto const keyring_file = a::default_keyring_path(dir / "data");
        auto keys = a::rotate_keyring(keyring_file, now);
        REQUIRE(keys);
        REQUIRE(::chmod(keyring_file.c_str(), 0644) == 0);
        auto refreshed = gate->refresh();
        REQUIRE_FALSE(refreshed);
        CHECK(refreshed.error().code == a::errc::keyring_unsafe);
        auto issued = a::issue_token(*keys, pos_request(), now);
        REQUIRE(issued);
        CHECK(gate->authenticate("Bearer " + issued->token, now).error().code == a::errc::unknown_key);
    }

    TEST_CASE("link codes come from the keyring's link secret, which a rotation keeps") {
        temp_dir dir;
        auto gate = open_authenticator(dir);
        auto const code = gate->link_code(engine::salon_id{"s1"}, engine::ticket_id{3});
        CHECK(gate->check_link(engine::salon_id{"s1"}, engine::ticket_id{3}, code));
        CHECK_FALSE(gate->check_link(engine::salon_id{"s1"}, engine::ticket_id{4}, code));
        REQUIRE(a::rotate_keyring(a::default_keyring_path(dir / "data"), now));
        REQUIRE(gate->refresh());
        CHECK(gate->check_link(engine::salon_id{"s1"}, engine::ticket_id{3}, code));
    }
}

} // namespace salonq::test::auth
