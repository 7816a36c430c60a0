#include "api/cli/auth_commands.hpp"

#include "web/qr.hpp"

#include "api/auth/keyring_file.hpp"
#include "api/auth/revocation.hpp"
#include "api/auth/token.hpp"
#include "api/kafka/revocation_topic.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string_view>

namespace salonq::api {
namespace {

namespace auth = salonq::api::auth;

std::chrono::sys_seconds now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::filesystem::path keyring_path(store_options const& so, auth_options const& ao) {
    return ao.keyring ? *ao.keyring : auth::default_keyring_path(so.data);
}

std::string when(std::chrono::sys_seconds t) { return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", t); }

int fail(std::string_view command, auth::error const& e, int code = 1) {
    std::cerr << fmt::format("salonq {}: {}\n", command, e.message);
    return code;
}

std::string role_list() {
    std::string out;
    for (std::size_t i = 0; i < auth::role_count; ++i) {
        out += fmt::format("{}{}", i == 0 ? "" : ", ", auth::to_string(static_cast<auth::role>(i)));
    }
    return out;
}

// The request `token issue` asks for, or a message for a person who typed it.
[[nodiscard]] std::expected<auth::token_request, std::string> token_request_of(auth_options const& ao) {
    auth::token_request r;
    auto const role = auth::parse_role(ao.role);
    if (!role) {
        return std::unexpected(fmt::format("unknown role '{}': one of {}", ao.role, role_list()));
    }
    r.role = *role;
    auto ttl = auth::parse_ttl(ao.ttl);
    if (!ttl) {
        return std::unexpected(fmt::format("--ttl {}", ttl.error().message));
    }
    r.ttl = *ttl;
    if (ao.all_salons && !ao.salons.empty()) {
        return std::unexpected(std::string{"give --salon S (repeatable) or --all-salons, not both"});
    }
    if (*role == auth::role::monitor && (ao.all_salons || !ao.salons.empty())) {
        return std::unexpected(std::string{"a monitor token reads /metrics only and reaches no salon: no --salon"});
    }
    if (*role != auth::role::monitor && !ao.all_salons && ao.salons.empty()) {
        return std::unexpected(std::string{"which salons may this token reach? --salon S (repeatable)"});
    }
    r.all_salons = ao.all_salons;
    for (auto const& s : ao.salons) {
        r.salons.emplace_back(s);
    }
    if (auth::acts_as_staff(*role) && !ao.staff) {
        return std::unexpected(fmt::format("a {} token acts as one of the salon's staff: --staff ID (the staffId "
                                           "of add_staff) is required",
                                           ao.role));
    }
    if (ao.staff) {
        r.staff = engine::staff_id{*ao.staff};
    }
    if (ao.subject) {
        r.subject = *ao.subject;
    } else if (ao.staff) {
        r.subject = *ao.staff;
    } else if (*role == auth::role::pos) {
        return std::unexpected(std::string{"a pos token names its terminal, which commands carry as their actor: "
                                           "--sub NAME (e.g. --sub pos7)"});
    } else {
        r.subject = ao.role;
    }
    return r;
}

} // namespace

int run_token_issue(store_options const& so, auth_options const& ao) {
    auto request = token_request_of(ao);
    if (!request) {
        std::cerr << "salonq token issue: " << request.error() << "\n";
        return 2;
    }
    auto const t = now();
    auto const path = keyring_path(so, ao);
    std::error_code ec;
    bool const new_keyring = !std::filesystem::exists(path, ec);
    auto keys = auth::load_or_create_keyring(path, t);
    if (!keys) {
        return fail("token issue", keys.error());
    }
    if (new_keyring) {
        // Said, so that a mistyped --data is seen here rather than as the server's 401 unknown_key.
        std::cerr << "salonq token issue: created a new keyring at " << path.string()
                  << ": a server takes its tokens only with the same --data (or --keyring)\n";
    }
    auto issued = auth::issue_token(*keys, *request, t);
    if (!issued) {
        return fail("token issue", issued.error(), issued.error().code == auth::errc::invalid_request ? 2 : 1);
    }
    if (ao.sign_in) {
        auto const link = web::sign_in_link(*ao.sign_in, ao.salons.size() == 1 ? ao.salons.front() : "", issued->token);
        auto qr = web::qr_text(link);
        if (!qr) {
            std::cerr << "salonq token issue: " << qr.error() << "\n";
            return 2;
        }
        std::cout << *qr << link << "\n" << std::flush;
    } else {
        std::cout << issued->token << "\n" << std::flush;
    }
    std::cerr << fmt::format("salonq token issue: jti {} role {} sub {} expires {} (key {})\n", issued->jti, ao.role,
                             request->subject, when(issued->expires), issued->kid);
    return 0;
}

int run_token_revoke(store_options const& so, auth_options const& ao, kafka_options const& ko) {
    auto const t = now();
    std::string jti = ao.revoke;
    auto until = t + std::chrono::duration_cast<std::chrono::seconds>(auth::longest_token_life);
    if (std::ranges::count(ao.revoke, '.') == 2) {
        // A whole token: its own jti and expiry, once it is known to be ours.
        auto keys = auth::load_keyring(keyring_path(so, ao));
        if (!keys) {
            return fail("token revoke", keys.error());
        }
        struct none final : auth::revocation_list {
            [[nodiscard]] bool revoked(std::string_view) const override { return false; }
            [[nodiscard]] std::expected<void, auth::error> refresh() override { return {}; }
        } const no_revocations;
        auth::verifier const verifier{std::move(*keys), no_revocations, {.leeway = std::chrono::years{1}}};
        auto p = verifier.verify(ao.revoke, t);
        if (!p) {
            return fail("token revoke",
                        auth::error{p.error().code, "not a token of this keyring: " + p.error().message}, 2);
        }
        if (p->expires < t) {
            std::cerr << "salonq token revoke: that token expired at " << when(p->expires) << "; revoked anyway\n";
        }
        jti = p->jti;
        until = std::max(p->expires, t);
    } else if (!auth::is_issued_jti(jti)) {
        // Only `token issue` makes tokens for this keyring: anything else is a typo, and "revoked" would be a lie
        // (the token the operator meant would stay valid).
        std::cerr << "salonq token revoke: '" << jti
                  << "' is neither a jti (as `token issue` prints it: 32 hex digits) nor a token\n";
        return 2;
    }
    auto list = auth::file_revocations::open(auth::default_revocations_path(so.data));
    if (!list) {
        return fail("token revoke", list.error());
    }
    if (auto done = (*list)->revoke(jti, until, t); !done) {
        return fail("token revoke", done.error());
    }
    if (!ko.brokers.empty()) {
        if (auto sent = kafka::produce_revocation(kafka_settings(ko), jti, until); !sent) {
            std::cerr << fmt::format("salonq token revoke: jti {} revoked in {} but not sent to {}: {}\n", jti,
                                     auth::default_revocations_path(so.data).string(), engine::kafka::revocations_topic,
                                     sent.error());
            return 1;
        }
        std::cerr << fmt::format("salonq token revoke: jti {} sent to {}; every api instance refuses it within a "
                                 "second or so\n",
                                 jti, engine::kafka::revocations_topic);
    }
    std::cerr << fmt::format("salonq token revoke: jti {} revoked (kept until {}); a running server refuses it from "
                             "its next refresh of {}\n",
                             jti, when(until), auth::default_revocations_path(so.data).string());
    return 0;
}

int run_keys_rotate(store_options const& so, auth_options const& ao) {
    auto keys = auth::rotate_keyring(keyring_path(so, ao), now());
    if (!keys) {
        return fail("keys rotate", keys.error());
    }
    std::cout << fmt::format("current key {}; {} key(s) verify tokens (at most {}: a rotation drops the oldest)\n",
                             keys->current().kid, keys->keys().size(), auth::keyring::max_keys);
    return 0;
}

int run_keys_list(store_options const& so, auth_options const& ao) {
    auto keys = auth::load_keyring(keyring_path(so, ao));
    if (!keys) {
        return fail("keys list", keys.error());
    }
    for (auto const& k : keys->keys()) {
        std::cout << fmt::format("{} created {}{}\n", k.kid, when(k.created),
                                 &k == &keys->current() ? " (current)" : "");
    }
    return 0;
}

int run_keys_retire(store_options const& so, auth_options const& ao) {
    auto keys = auth::retire_key(keyring_path(so, ao), ao.kid);
    if (!keys) {
        return fail("keys retire", keys.error(), keys.error().code == auth::errc::invalid_request ? 2 : 1);
    }
    std::cout << fmt::format("key {} retired: tokens signed with it no longer verify\n", ao.kid);
    return 0;
}

} // namespace salonq::api
