// `salonq token` and `salonq keys` in child processes: a token issued on the command line verifies with the
// library, is revoked durably and seen revoked by a list opened before the revocation (as a running server's is);
// the keyring is private and survives a rotation; a newcomer's mistakes get a clear message and nothing on stdout.

#include "api/auth/keyring_file.hpp"
#include "api/auth/revocation.hpp"
#include "api/auth/token.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace auth_cli_test {

namespace {

namespace auth = salonq::api::auth;
using salonq::test::child_process;
using salonq::test::salonq_binary;
using salonq::test::temp_dir;

struct outcome {
    int code = -1;
    std::string out; // stdout alone
    std::string err;
};

std::string slurp(std::string const& path) {
    std::ifstream in{path};
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// salonq --data <dir>/data ARGS, with stdout and stderr apart (the paths and arguments hold no shell syntax).
outcome run_salonq(temp_dir const& dir, std::string const& args) {
    auto const command = salonq_binary() + " --data " + dir / "data" + " " + args + " 2>" + dir / "err";
    child_process run({"/bin/sh", "-c", command}, dir / "out");
    outcome r;
    r.code = run.wait();
    r.out = slurp(dir / "out");
    r.err = slurp(dir / "err");
    return r;
}

bool has(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

unsigned mode_of(std::string const& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777U;
}

std::chrono::sys_seconds now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

// The token on stdout: one line, nothing else.
std::string token_of(outcome const& r) {
    REQUIRE_MESSAGE(r.code == 0, r.err);
    REQUIRE(!r.out.empty());
    REQUIRE(r.out.back() == '\n');
    auto token = r.out.substr(0, r.out.size() - 1);
    REQUIRE(token.find('\n') == std::string::npos);
    return token;
}

} // namespace

TEST_CASE("cli: an issued token verifies with the library; revoked, a running server's list refuses it") {
    temp_dir dir;
    auto const first = run_salonq(dir, "token issue --role manager --salon s1 --salon s2 --staff st1 --ttl 8h");
    auto const token = token_of(first);
    auto const keyring_file = dir / "data/auth/keyring.json";
    // A new keyring is said (a mistyped --data would otherwise show only as the server's 401 unknown_key); the next
    // token of the same keyring says nothing of it.
    CHECK(has(first.err, "created a new keyring at " + keyring_file));
    CHECK_FALSE(has(run_salonq(dir, "token issue --role pos --sub p1 --salon s1 --ttl 1h").err, "new keyring"));
    CHECK(mode_of(keyring_file) == 0600U);
    CHECK(mode_of(dir / "data/auth") == 0700U);

    auto keys = auth::load_keyring(keyring_file);
    REQUIRE_MESSAGE(keys, keys.error().message);
    auto server_list = auth::file_revocations::open(auth::default_revocations_path(dir / "data"));
    REQUIRE(server_list);
    auth::verifier const verifier{*keys, **server_list};
    auto p = verifier.verify(token, now());
    REQUIRE_MESSAGE(p, p.error().message);
    CHECK(p->role == auth::role::manager);
    CHECK(p->subject == "st1");
    CHECK(p->staff == salonq::engine::staff_id{"st1"});
    CHECK(p->salons.size() == 2);
    CHECK(p->expires > now() + std::chrono::hours{7});
    CHECK(p->expires <= now() + std::chrono::hours{8});
    CHECK(verifier.verify(token, now() + std::chrono::hours{9}).error().code == auth::errc::token_expired);

    auto revoked = run_salonq(dir, "token revoke " + p->jti);
    REQUIRE_MESSAGE(revoked.code == 0, revoked.err);
    // A jti of the older form (22 base64url characters, before 2026-11-29) is still taken.
    auto const older = run_salonq(dir, "token revoke Ab-_0123456789abcdefgh");
    CHECK_MESSAGE(older.code == 0, older.err);
    CHECK(revoked.out.empty());
    CHECK(has(revoked.err, p->jti));
    CHECK(verifier.verify(token, now())); // before the server's refresh
    REQUIRE((*server_list)->refresh());
    CHECK(verifier.verify(token, now()).error().code == auth::errc::token_revoked);
}

TEST_CASE("cli: token revoke takes the token itself, kept until its expiry") {
    temp_dir dir;
    auto const token = token_of(run_salonq(dir, "token issue --role pos --sub pos7 --salon s1 --ttl 1h"));
    auto const revoked = run_salonq(dir, "token revoke " + token);
    REQUIRE_MESSAGE(revoked.code == 0, revoked.err);
    auto list = auth::file_revocations::open(auth::default_revocations_path(dir / "data"));
    REQUIRE(list);
    CHECK((*list)->size() == 1);
    auto const line = slurp(dir / "data/auth/revoked");
    auto const until = std::stoll(line.substr(line.find(' ') + 1));
    CHECK(until <= (now() + std::chrono::hours{1}).time_since_epoch().count());
    CHECK(until > now().time_since_epoch().count());
    CHECK_FALSE(has(revoked.err, token)); // a token is never echoed
    auto const forged = run_salonq(dir, "token revoke " + token.substr(0, token.size() - 3) + "AAA");
    CHECK(forged.code == 2);
    CHECK(has(forged.err, "not a token of this keyring"));
}

TEST_CASE("cli: keys rotate keeps tokens of the previous key valid and the keyring private") {
    temp_dir dir;
    auto const old_token = token_of(run_salonq(dir, "token issue --role dashboard --salon s1 --ttl 1h"));
    auto const rotated = run_salonq(dir, "keys rotate");
    REQUIRE_MESSAGE(rotated.code == 0, rotated.err);
    CHECK(has(rotated.out, "2 key(s)"));
    CHECK(mode_of(dir / "data/auth/keyring.json") == 0600U);
    auto const new_token = token_of(run_salonq(dir, "token issue --role analyst --salon s1 --ttl 1h"));
    auto keys = auth::load_keyring(dir / "data/auth/keyring.json");
    REQUIRE(keys);
    auto list = auth::file_revocations::open(dir / "none");
    REQUIRE(list);
    auth::verifier const verifier{*keys, **list};
    CHECK(verifier.verify(old_token, now()));
    CHECK(verifier.verify(new_token, now()));
    auto const listed = run_salonq(dir, "keys list");
    CHECK(has(listed.out, keys->current().kid + " created"));
    CHECK(has(listed.out, "(current)"));
    for (auto const& k : keys->keys()) {
        CHECK_FALSE(has(listed.out + rotated.out, auth::base64url_encode(k.secret.bytes())));
    }
}

TEST_CASE("cli: --keyring names another file; one that others may read is refused") {
    temp_dir dir;
    auto const elsewhere = dir / "ring.json";
    token_of(run_salonq(dir, "token issue --keyring " + elsewhere + " --role admin --all-salons --ttl 10m"));
    CHECK(mode_of(elsewhere) == 0600U);
    REQUIRE(::chmod(elsewhere.c_str(), 0644) == 0);
    auto const refused = run_salonq(dir, "token issue --keyring " + elsewhere + " --role admin --all-salons --ttl 10m");
    CHECK(refused.code == 1);
    CHECK(refused.out.empty());
    CHECK(has(refused.err, "chmod 600"));
}

TEST_CASE("cli: a newcomer's mistakes are named, with nothing on stdout") {
    temp_dir dir;
    std::vector<std::pair<std::string, std::string>> const mistakes{
        {"token issue --role boss --salon s1 --ttl 8h", "unknown role 'boss': one of pos, staff, manager"},
        {"token issue --role staff --salon s1 --ttl 8h", "--staff ID"},
        {"token issue --role owner --salon s1 --ttl 8h", "--staff ID"},
        {"token issue --role pos --salon s1 --ttl 8h", "--sub NAME"},
        {"token issue --role pos --sub p1 --salon s1 --ttl 8x", "'8x' is not a lifetime"},
        {"token issue --role pos --sub p1 --salon s1 --ttl 90d", "at most 30 days"},
        {"token issue --role pos --sub p1 --ttl 8h", "--salon S"},
        {"token issue --role pos --sub p1 --all-salons --ttl 8h", "admin only"},
        {"token issue --role dashboard --salon s1 --salon s2 --all-salons --ttl 8h", "not both"},
        {"token issue --role monitor --salon s1 --ttl 30d", "reaches no salon"},
        {"token issue --role monitor --staff sam --ttl 30d", "no staff claim"},
        {"token issue --role pos --sub 'two words' --salon s1 --ttl 8h", "--sub"},
        {"token revoke 'a b'", "neither a jti"},
        {"token revoke nonsense", "neither a jti"},
        {"token revoke 0123456789ABCDEF0123456789ABCDEF", "32 hex digits"},
        {"token revoke abcdefghijklmnopqrstu", "neither a jti"}, // 21 characters: not the older form either
    };
    for (auto const& [args, message] : mistakes) {
        CAPTURE(args);
        auto const r = run_salonq(dir, args);
        CHECK(r.code == 2);
        CHECK(r.out.empty());
        CHECK_MESSAGE(has(r.err, message), r.err);
    }
}

} // namespace auth_cli_test
