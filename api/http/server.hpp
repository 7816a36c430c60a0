#pragma once

// The HTTP server: a listener on one address, a pool of threads (one per core) running Asio, and a graceful
// stop — stop accepting, let each in-flight request finish and its response go out (up to drain_timeout), close
// idle connections, return. The owner (serve) wires the ports and, after run() returns, shuts the engine down.

#include "api/http/options.hpp"
#include "api/http/router.hpp"
#include "api/http/services.hpp"

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace salonq::api::http {

class server {
public:
    // Binds and listens (so port() is known when it returns); refuses an address it cannot bind.
    [[nodiscard]] static std::expected<std::unique_ptr<server>, std::string>
    open(server_options options, services& ports, std::span<route const> routes);
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept;
    // Serves until stop() or, when `on_signals`, SIGINT/SIGTERM; returns once drained. `serving` is called once the
    // signals are caught, before the first request is taken: the place to say where it listens, so that a SIGTERM
    // sent on that line stops it gracefully.
    void run(bool on_signals, std::function<void()> const& serving = {});
    // From any thread: begins the graceful stop.
    void stop();

private:
    struct impl;
    explicit server(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::api::http
