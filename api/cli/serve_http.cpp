// salonq serve (embedded mode): the engine and the HTTP API in one process.

#include "api/auth/authenticator.hpp"
#include "api/cli/auth_commands.hpp"
#include "api/cli/commands.hpp"
#include "api/gateway/embedded_gateway.hpp"
#include "api/http/routes.hpp"
#include "api/http/server.hpp"
#include "engine/logging/logger.hpp"

#include <fmt/format.h>

#include <charconv>
#include <iostream>

namespace salonq::api {

std::expected<std::pair<std::string, std::uint16_t>, std::string> parse_listen(std::string const& listen) {
    auto const colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        return std::unexpected("--listen takes HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port)");
    }
    std::uint16_t port = 0;
    auto const digits = std::string_view{listen}.substr(colon + 1);
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty()) {
        return std::unexpected(fmt::format("--listen: '{}' is not a port (0 to 65535)", digits));
    }
    return std::pair{listen.substr(0, colon), port};
}

int run_serve_http(store_options const& so, http_options const& ho, auth_options const& ao) {
    auto const log = logging::logger{"serve"};
    auto listen = parse_listen(ho.listen);
    if (!listen) {
        std::cerr << "salonq serve: " << listen.error() << "\n";
        return 2;
    }
    auto engine = open_engine(so);
    if (!engine) {
        std::cerr << "salonq serve: " << engine.error() << "\n";
        return 2;
    }
    auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto authenticator = auth::authenticator::open({.data = so.data, .keyring = ao.keyring, .verify = {}}, now);
    if (!authenticator) {
        std::cerr << "salonq serve: " << authenticator.error().message << "\n";
        return 2;
    }
    http::server_options options;
    options.address = listen->first;
    options.port = listen->second;
    options.threads = ho.threads;
    options.decision_wait = std::chrono::milliseconds{ho.decision_wait_ms};
    options.max_connections = ho.max_connections;
    options.cors_origins = ho.cors_origins;
    options.client_rate = ho.client_rate;
    options.client_burst = ho.client_burst;
    options.token_rate = ho.token_rate;
    options.token_burst = ho.token_burst;

    embedded_gateway gateway{**engine};
    http::metrics metrics;
    http::services ports{
        .options = options,
        .commands = gateway,
        .auth = **authenticator,
        .metrics = metrics,
        .clock =
            [] { return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()); },
        .log = logging::logger{"http"},
        .executor = {}};
    auto server = http::server::open(options, ports, http::api_routes());
    if (!server) {
        std::cerr << "salonq serve: " << server.error() << "\n";
        return 2;
    }
    // The one line a script or a test waits for: where to connect.
    std::cout << fmt::format("salonq: serving http://{}:{} (embedded, data {})", options.address, (*server)->port(),
                             so.data.string())
              << "\n"
              << std::flush;
    (*server)->run(true);
    log.info("stopped: every request answered; closing the log");
    server->reset();
    engine->reset(); // finishes what was submitted, then closes RocksDB
    return 0;
}

} // namespace salonq::api
