#pragma once

// The HTTP API in the test's own process, as serve runs it in embedded mode: a real engine over RocksDB in a
// temporary directory and the server on a free loopback port, its threads started here and stopped (gracefully)
// when the fixture goes.

#include "api/auth/authenticator.hpp"
#include "api/auth/keyring_file.hpp"
#include "api/auth/token.hpp"
#include "api/gateway/embedded_gateway.hpp"
#include "api/http/routes.hpp"
#include "api/http/server.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "test/support/process.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

namespace salonq::test {

// The server's defaults without the rate limits: tests send far more from one address than a client would.
inline api::http::server_options unlimited() {
    api::http::server_options o;
    o.client_rate = 0;
    o.token_rate = 0;
    return o;
}

class http_fixture {
public:
    explicit http_fixture(api::http::server_options options = unlimited()) : options_(std::move(options)) {
        logging::configure(logging::level::warn, logging::format::text); // no access log lines in test output
        options_.port = 0;
        options_.threads = options_.threads > 0 ? options_.threads : 2;
        auto engine = engine::runtime::embedded_engine::open(dir_.path());
        if (!engine) {
            throw std::runtime_error("engine: " + engine.error().message);
        }
        engine_ = std::move(*engine);
        gateway_ = std::make_unique<api::embedded_gateway>(*engine_);
        auto auth = api::auth::authenticator::open({.data = dir_.path(), .keyring = {}, .verify = {}}, now());
        if (!auth) {
            throw std::runtime_error("auth: " + auth.error().message);
        }
        auth_ = std::move(*auth);
        ports_.reset(new api::http::services{// NOLINT: designated initializers, no constructor to forward to
                                             .options = options_,
                                             .commands = *gateway_,
                                             .auth = *auth_,
                                             .metrics = metrics_,
                                             .clock =
                                                 [] {
                                                     return std::chrono::time_point_cast<std::chrono::milliseconds>(
                                                         std::chrono::system_clock::now());
                                                 },
                                             .log = logging::logger{"http"},
                                             .executor = {}});
        auto server = api::http::server::open(options_, *ports_, api::http::api_routes());
        if (!server) {
            throw std::runtime_error("server: " + server.error());
        }
        server_ = std::move(*server);
        thread_ = std::thread([this] { server_->run(false); });
    }
    ~http_fixture() { stop(); }
    http_fixture(http_fixture const&) = delete;
    http_fixture& operator=(http_fixture const&) = delete;

    void stop() {
        if (thread_.joinable()) {
            server_->stop();
            thread_.join();
        }
    }

    [[nodiscard]] std::uint16_t port() const { return server_->port(); }
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
        auto keys = api::auth::load_or_create_keyring(api::auth::default_keyring_path(dir_.path()), now());
        if (!keys) {
            throw std::runtime_error("keyring: " + keys.error().message);
        }
        api::auth::token_request r;
        r.subject = staff.value_or(std::string{api::auth::to_string(role)});
        r.role = role;
        r.all_salons = role == api::auth::role::admin;
        if (!r.all_salons) {
            r.salons.push_back(engine::salon_id{salon});
        }
        if (staff) {
            r.staff = engine::staff_id{*staff};
        }
        r.ttl = ttl;
        auto issued = api::auth::issue_token(*keys, r, issued_at.value_or(now()));
        if (!issued) {
            throw std::runtime_error("token: " + issued.error().message);
        }
        return *issued;
    }
    [[nodiscard]] std::string admin_token() const { return token(api::auth::role::admin); }

    static std::chrono::sys_seconds now() {
        return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    }
    [[nodiscard]] engine::runtime::embedded_engine& engine() { return *engine_; }

private:
    temp_dir dir_;
    api::http::server_options options_;
    std::unique_ptr<engine::runtime::embedded_engine> engine_;
    std::unique_ptr<api::embedded_gateway> gateway_;
    std::unique_ptr<api::auth::authenticator> auth_;
    api::http::metrics metrics_;
    std::unique_ptr<api::http::services> ports_;
    std::unique_ptr<api::http::server> server_;
    std::thread thread_;
};

} // namespace salonq::test
