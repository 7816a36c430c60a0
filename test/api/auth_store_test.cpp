// The auth files under the data directory: the keyring (created 0600 in a 0700 directory, refused when others may
// read it, rotated keeping the previous key) and the revocation list (durable, seen by another reader's refresh,
// compacted, robust to a torn line).

#include "api/auth/files.hpp"
#include "api/auth/keyring_file.hpp"
#include "api/auth/revocation.hpp"
#include "api/auth/token.hpp"
#include "test/api/auth_support.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

namespace salonq::test::auth {
namespace {

unsigned mode_of(std::string const& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777U;
}

std::string read_all(std::string const& path) {
    std::ifstream in{path};
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A writer (the CLI's) and a reader (a running server's) of one revocation file.
struct two_lists {
    temp_dir dir;
    std::string file = dir / "revoked";
    std::unique_ptr<a::file_revocations> writer = must(a::file_revocations::open(file));
    std::unique_ptr<a::file_revocations> reader = must(a::file_revocations::open(file));
};

} // namespace

TEST_SUITE("auth.keyring_file") {
    TEST_CASE("a missing keyring is created 0600 in a 0700 directory, and read back the same") {
        temp_dir dir;
        auto const file = a::default_keyring_path(dir / "data");
        CHECK(file.string() == dir / "data/auth/keyring.json");
        CHECK(a::load_keyring(file).error().code == a::errc::io_error);
        auto made = a::load_or_create_keyring(file, now);
        REQUIRE_MESSAGE(made, made.error().message);
        CHECK(mode_of(file) == 0600U);
        CHECK(mode_of(dir / "data/auth") == 0700U);
        CHECK(made->keys().size() == 1);
        CHECK(made->current().secret.size() == a::keyring::secret_bytes);
        auto again = a::load_or_create_keyring(file, now + 1h);
        REQUIRE(again);
        CHECK(again->current().kid == made->current().kid);
        CHECK(again->current().secret.bytes() == made->current().secret.bytes());
        CHECK(again->link_secret().bytes() == made->link_secret().bytes());
        CHECK(again->current().created == now);
    }

    TEST_CASE("two keyrings have different secrets") {
        temp_dir dir;
        auto one = a::load_or_create_keyring(dir / "one.json", now);
        auto two = a::load_or_create_keyring(dir / "two.json", now);
        REQUIRE((one && two));
        CHECK(one->current().secret.bytes() != two->current().secret.bytes());
        CHECK(one->link_secret().bytes() != two->link_secret().bytes());
        CHECK(one->current().secret.bytes() != one->link_secret().bytes());
    }

    TEST_CASE("a keyring that group or others may read is refused") {
        temp_dir dir;
        auto const file = dir / "keyring.json";
        REQUIRE(a::load_or_create_keyring(file, now));
        for (unsigned mode : {0640U, 0604U, 0660U, 0644U}) {
            CAPTURE(mode);
            REQUIRE(::chmod(file.c_str(), mode) == 0);
            auto refused = a::load_keyring(file);
            REQUIRE_FALSE(refused);
            CHECK(refused.error().code == a::errc::keyring_unsafe);
            CHECK(refused.error().message.find("chmod 600") != std::string::npos);
            CHECK(a::rotate_keyring(file, now).error().code == a::errc::keyring_unsafe);
        }
        REQUIRE(::chmod(file.c_str(), 0600) == 0);
        CHECK(a::load_keyring(file));
        REQUIRE(::symlink(file.c_str(), (dir / "link.json").c_str()) == 0);
        CHECK(a::load_keyring(dir / "link.json").error().code == a::errc::keyring_unsafe);
    }

    TEST_CASE("rotate adds a current key and keeps the previous ones, up to max_keys") {
        temp_dir dir;
        auto const file = dir / "keyring.json";
        auto first = a::load_or_create_keyring(file, now);
        REQUIRE(first);
        auto const first_kid = first->current().kid;
        auto second = a::rotate_keyring(file, now + 24h);
        REQUIRE(second);
        CHECK(second->keys().size() == 2);
        CHECK(second->current().kid != first_kid);
        CHECK(second->find(first_kid) != nullptr);
        CHECK(second->link_secret().bytes() == first->link_secret().bytes()); // links survive a rotation
        CHECK(mode_of(file) == 0600U);
        auto loaded = a::load_keyring(file);
        REQUIRE(loaded);
        CHECK(loaded->current().kid == second->current().kid);
        for (int i = 0; i < 3; ++i) {
            REQUIRE(a::rotate_keyring(file, now + 48h));
        }
        auto last = a::load_keyring(file);
        REQUIRE(last);
        CHECK(last->keys().size() == a::keyring::max_keys);
        CHECK(last->find(first_kid) == nullptr);
        auto retired = a::retire_key(file, last->keys().front().kid);
        REQUIRE(retired);
        CHECK(retired->keys().size() == a::keyring::max_keys - 1);
    }

    TEST_CASE("a damaged keyring is refused, naming the file and never a secret") {
        temp_dir dir;
        auto const file = dir / "keyring.json";
        REQUIRE(a::load_or_create_keyring(file, now));
        auto const text = read_all(file);
        auto const secret_at = text.find("\"secret\": \"") + 11;
        auto const secret = text.substr(secret_at, 43);
        for (std::string const& damaged :
             {std::string{"not json"}, std::string{R"({"version":2,"keys":[],"linkSecret":""})"},
              text.substr(0, secret_at) + "c2hvcnQ" + text.substr(secret_at + 43)}) {
            REQUIRE(a::files::replace(file, damaged));
            auto refused = a::load_keyring(file);
            REQUIRE_FALSE(refused);
            CHECK(refused.error().code == a::errc::keyring_invalid);
            CHECK(refused.error().message.find(file) != std::string::npos);
            CHECK(refused.error().message.find(secret) == std::string::npos);
        }
    }
}

TEST_SUITE("auth.revocation") {
    TEST_CASE("a revocation is durable and another reader learns it on refresh") {
        temp_dir dir;
        auto const file = a::default_revocations_path(dir / "data");
        auto server = a::file_revocations::open(file);
        REQUIRE(server);
        CHECK_FALSE((*server)->revoked("j1"));
        {
            auto cli = a::file_revocations::open(file);
            REQUIRE(cli);
            REQUIRE((*cli)->revoke("j1", now + 1h, now));
            CHECK((*cli)->revoked("j1"));
        }
        CHECK(mode_of(file) == 0600U);
        CHECK_FALSE((*server)->revoked("j1")); // not before a refresh
        REQUIRE((*server)->refresh());
        CHECK((*server)->revoked("j1"));
        CHECK_FALSE((*server)->revoked("j2"));
        REQUIRE((*server)->refresh()); // nothing new: nothing lost
        CHECK((*server)->revoked("j1"));
        auto reopened = a::file_revocations::open(file);
        REQUIRE(reopened);
        CHECK((*reopened)->revoked("j1"));
        CHECK((*reopened)->revoke("a b", now + 1h, now).error().code == a::errc::invalid_request);
        CHECK((*reopened)->revoke("", now + 1h, now).error().code == a::errc::invalid_request);
    }

    TEST_CASE("expired entries are dropped by the next revoke; a reader reloads the rewritten file") {
        two_lists lists;
        auto& writer = lists.writer;
        auto& reader = lists.reader;
        REQUIRE(writer->revoke("old", now + 1h, now));
        REQUIRE(writer->revoke("kept", now + 5h, now));
        REQUIRE(reader->refresh());
        CHECK(reader->size() == 2);
        REQUIRE(writer->revoke("new", now + 9h, now + 2h)); // "old" expired at now + 1h
        CHECK(read_all(lists.file).find("old") == std::string::npos);
        REQUIRE(reader->refresh());
        CHECK_FALSE(reader->revoked("old"));
        CHECK(reader->revoked("kept"));
        CHECK(reader->revoked("new"));
    }

    TEST_CASE("a torn last line (a crash mid-write) does not swallow the next revocation") {
        temp_dir dir;
        auto const file = dir / "revoked";
        {
            std::ofstream out{file};
            out << "j1 " << (now + 1h).time_since_epoch().count() << "\nj2 18000";
        }
        REQUIRE(::chmod(file.c_str(), 0600) == 0);
        auto list = a::file_revocations::open(file);
        REQUIRE(list);
        CHECK((*list)->revoked("j1"));
        CHECK_FALSE((*list)->revoked("j2")); // not a whole line yet
        REQUIRE((*list)->revoke("j3", now + 1h, now));
        auto reader = a::file_revocations::open(file);
        REQUIRE(reader);
        CHECK((*reader)->revoked("j1"));
        CHECK((*reader)->revoked("j3"));
    }

    TEST_CASE("revoked() from several threads while refresh() brings new entries") {
        two_lists lists;
        auto& writer = lists.writer;
        auto& reader = lists.reader;
        std::atomic<bool> done{false};
        std::atomic<int> seen{0};
        constexpr int threads = 3;
        std::vector<std::thread> askers;
        askers.reserve(threads);
        for (int t = 0; t < threads; ++t) {
            askers.emplace_back([&] {
                while (!done.load()) {
                    seen.fetch_add(reader->revoked("j49") ? 1 : 0);
                }
            });
        }
        for (int i = 0; i < 50; ++i) {
            REQUIRE(writer->revoke("j" + std::to_string(i), now + 1h, now));
            REQUIRE(reader->refresh());
        }
        done.store(true);
        for (auto& t : askers) {
            t.join();
        }
        CHECK(reader->size() == 50);
        CHECK(reader->revoked("j49"));
    }

    TEST_CASE("the verifier refuses a token revoked through the file once the list is refreshed") {
        temp_dir dir;
        auto list = a::file_revocations::open(dir / "revoked");
        REQUIRE(list);
        auto const keys = ring({test_key("k1", 'a')});
        a::verifier v{keys, **list};
        a::token_request r;
        r.subject = "pos7";
        r.role = a::role::pos;
        r.salons = {engine::salon_id{"s1"}};
        r.ttl = 1h;
        auto issued = a::issue_token(keys, r, now);
        REQUIRE(issued);
        CHECK(v.verify(issued->token, now));
        auto other = a::file_revocations::open(dir / "revoked");
        REQUIRE(other);
        REQUIRE((*other)->revoke(issued->jti, issued->expires, now));
        CHECK(v.verify(issued->token, now)); // the server has not refreshed yet
        REQUIRE((*list)->refresh());
        CHECK(v.verify(issued->token, now).error().code == a::errc::token_revoked);
    }
}

} // namespace salonq::test::auth
