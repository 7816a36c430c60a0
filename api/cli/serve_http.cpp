// salonq serve (embedded mode): the engine and the HTTP API in one process.

#include "api/cli/auth_commands.hpp"
#include "api/cli/commands.hpp"
#include "api/http/routes.hpp"
#include "api/serve/embedded_stack.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/logging/logger.hpp"

#include <fmt/format.h>

#include <charconv>
#include <iostream>

namespace salonq::api {

[[nodiscard]] std::expected<std::pair<std::string, std::uint16_t>, std::string>
parse_listen(std::string const& listen) {
    auto const colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        return std::unexpected(
            fmt::format("--listen '{}': give HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port)", listen));
    }
    std::uint16_t port = 0;
    auto const digits = std::string_view{listen}.substr(colon + 1);
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty()) {
        return std::unexpected(fmt::format("--listen: '{}' is not a port (0 to 65535)", digits));
    }
    auto host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2); // [::1]:8080, as in a URL
    } else if (host.find(':') != std::string::npos) {
        return std::unexpected(
            fmt::format("--listen: an IPv6 address goes in brackets, as in a URL: [{}]:{}", host, digits));
    }
    return std::pair{std::move(host), port};
}

// The URL of a listening address: an IPv6 one in brackets.
std::string url_of(std::string const& address, std::uint16_t port) {
    return address.find(':') != std::string::npos ? fmt::format("http://[{}]:{}", address, port)
                                                  : fmt::format("http://{}:{}", address, port);
}

std::expected<http::server_options, std::string> server_options_of(http_options const& ho) {
    auto listen = parse_listen(ho.listen);
    if (!listen) {
        return std::unexpected(listen.error());
    }
    http::server_options o;
    o.address = listen->first;
    o.port = listen->second;
    o.threads = ho.threads;
    o.decision_wait = std::chrono::milliseconds{ho.decision_wait_ms};
    o.max_connections = ho.max_connections;
    o.max_live_streams = ho.max_live_streams;
    o.live_rings = ho.live_sockets == "rings";
    o.cors_origins = ho.cors_origins;
    if (!ho.public_url.empty() && !ho.public_url.starts_with("http://") && !ho.public_url.starts_with("https://")) {
        return std::unexpected("--public-url is an http:// or https:// address, e.g. https://queue.example.com");
    }
    o.public_url = ho.public_url;
    while (o.public_url.ends_with('/')) {
        o.public_url.pop_back();
    }
    o.client_rate = ho.client_rate;
    o.client_burst = ho.client_burst;
    o.token_rate = ho.token_rate;
    o.token_burst = ho.token_burst;
    return o;
}

int run_serve_http(store_options const& so, http_options const& ho, auth_options const& ao) {
    auto const log = logging::logger{"serve"};
    auto http = server_options_of(ho);
    if (!http) {
        log.error("{}", http.error()); // a JSON line under --log-format json, as a shipper expects
        return 2;
    }
    embedded_stack_options o;
    o.data = so.data;
    o.engine = engine_options_of(so);
    o.keyring = ao.keyring;
    o.http = *http;
    o.notify.allow_private = ho.webhook_allow_private;
    auto stack = embedded_stack::open(std::move(o));
    if (!stack) {
        log.error("{}", stack.error());
        return 2;
    }
    // The one line a script or a test waits for: where to connect; said once SIGTERM is caught.
    auto const url = url_of(http->address, (*stack)->port());
    (*stack)->run(true, [&] {
        std::cout << fmt::format("salonq: serving {} (embedded, data {})", url, so.data.string()) << "\n" << std::flush;
    });
    log.info("stopped: every request answered; closing the log");
    stack->reset(); // the server, then the views' feed, then the engine (which finishes its last batch)
    return 0;
}

int run_routes() {
    for (auto const& r : http::api_routes()) {
        engine::codec::json_writer w;
        w.begin_object()
            .field("method", std::string_view{boost::beast::http::to_string(r.method)})
            .field("path", r.pattern)
            .field("access", r.who == http::access::open ? "open" : "token")
            .field("action", auth::to_string(r.does))
            .field("summary", r.summary)
            .field("live", r.live)
            .end_object();
        std::cout << w.view() << "\n";
    }
    std::cout << std::flush;
    return 0;
}

} // namespace salonq::api
