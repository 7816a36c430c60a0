#pragma once

// The HTTP API in the test's own process, wired as serve runs it in embedded mode (api::embedded_stack): a real
// engine, views and keyring in a temporary directory and the server on a free loopback port, its threads started
// here and stopped (gracefully) when the fixture goes.

#include "api/auth/keyring_file.hpp"
#include "api/auth/token.hpp"
#include "api/serve/embedded_stack.hpp"
#include "test/support/process.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

namespace salonq::test {

// A token signed with the keyring of the data directory `data` (made there if there is none), for one salon or, for
// admin, all.
inline api::auth::issued_token issue_token_for(std::string const& data, api::auth::role role, std::string const& salon,
                                               std::optional<std::string> staff, std::chrono::seconds ttl,
                                               std::chrono::sys_seconds issued_at) {
    auto keys =
        api::auth::load_or_create_keyring(api::auth::default_keyring_path(data),
                                          std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    if (!keys) {
        throw std::runtime_error("keyring: " + keys.error().message);
    }
    api::auth::token_request r;
    r.subject = staff.value_or(std::string{api::auth::to_string(role)});
    r.role = role;
    r.all_salons = role == api::auth::role::admin;
    if (!r.all_salons && role != api::auth::role::monitor) { // a monitor token reaches no salon
        r.salons.push_back(engine::salon_id{salon});
    }
    if (staff) {
        r.staff = engine::staff_id{*staff};
    }
    r.ttl = ttl;
    auto issued = api::auth::issue_token(*keys, r, issued_at);
    if (!issued) {
        throw std::runtime_error("token: " + issued.error().message);
    }
    return *issued;
}

// The server's defaults without the rate limits: tests send far more from one address than a client would.
inline api::http::server_options unlimited() {
    api::http::server_options o;
    o.client_rate = 0;
    o.token_rate = 0;
    return o;
}

class http_fixture {
public:
    // before_views_apply runs on the views' feed thread before each apply (a test slows the views down with it).
    // notify: the notifier's options (tests shorten its deadline and retries).
    explicit http_fixture(api::http::server_options options = unlimited(),
                          api::embedded_feed::apply_hook before_views_apply = {}, notify::service_options notify = {}) {
        logging::configure(logging::level::warn, logging::format::text); // no access log lines in test output
        api::embedded_stack_options o;
        o.data = dir_.path();
        o.before_views_apply = std::move(before_views_apply);
        o.notify = std::move(notify);
        o.http = std::move(options);
        o.http.port = 0;
        o.http.threads = o.http.threads > 0 ? o.http.threads : 2;
        auto stack = api::embedded_stack::open(std::move(o));
        if (!stack) {
            throw std::runtime_error("serve: " + stack.error());
        }
        stack_ = std::move(*stack);
        thread_ = std::thread([this] { stack_->run(false); });
    }
    ~http_fixture() { stop(); }
    http_fixture(http_fixture const&) = delete;
    http_fixture& operator=(http_fixture const&) = delete;

    void stop() {
        if (thread_.joinable()) {
            stack_->stop();
            thread_.join();
        }
    }

    [[nodiscard]] std::uint16_t port() const { return stack_->port(); }
    [[nodiscard]] engine::runtime::embedded_engine& engine() { return stack_->engine(); }
    [[nodiscard]] api::embedded_stack& stack() { return *stack_; }
    [[nodiscard]] std::string const& data() const { return dir_.path(); }

    // A token signed with the server's keyring (its data directory's), for one salon or, for admin, all.
    [[nodiscard]] std::string token(api::auth::role role, std::string const& salon = "s1",
                                    std::optional<std::string> staff = std::nullopt,
                                    std::chrono::seconds ttl = std::chrono::hours{1},
                                    std::optional<std::chrono::sys_seconds> issued_at = std::nullopt) const {
        return issue(role, salon, std::move(staff), ttl, issued_at).token;
    }
    [[nodiscard]] api::auth::issued_token
    issue(api::auth::role role, std::string const& salon = "s1", std::optional<std::string> staff = std::nullopt,
          std::chrono::seconds ttl = std::chrono::hours{1},
          std::optional<std::chrono::sys_seconds> issued_at = std::nullopt) const {
        return issue_token_for(dir_.path(), role, salon, std::move(staff), ttl, issued_at.value_or(now()));
    }
    [[nodiscard]] std::string admin_token() const { return token(api::auth::role::admin); }

    static std::chrono::sys_seconds now() {
        return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    }

private:
    temp_dir dir_;
    std::unique_ptr<api::embedded_stack> stack_;
    std::thread thread_;
};

} // namespace salonq::test
