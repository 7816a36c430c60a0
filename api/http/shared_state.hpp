#pragma once

// What the listener and every session of one server share: the routes and ports, the options, the count of open
// connections (for the cap) and the registry of live sessions (for a graceful stop). Lives as long as the server.

#include "api/http/options.hpp"
#include "api/http/router.hpp"
#include "api/http/services.hpp"
#include "api/uring/rings.hpp"

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace salonq::api::http {

class session;

class shared_state {
public:
    shared_state(server_options const& options, services& ports, std::span<route const> routes)
        : options_(options), ports_(ports), routes_(routes) {}

    [[nodiscard]] server_options const& options() const noexcept { return options_; }
    [[nodiscard]] services& ports() noexcept { return ports_; }
    [[nodiscard]] router const& routes() const noexcept { return routes_; }
    // Where WebSockets are held without a descriptor each; null when off or the kernel has no io_uring.
    [[nodiscard]] uring::rings* live_rings() const noexcept { return rings_; }
    void use_rings(uring::rings* rings) noexcept { rings_ = rings; }

    // Registers a session; false when the server is at its connection cap (the caller refuses the connection).
    bool join(std::shared_ptr<session> const& s);
    void leave(session const* s) noexcept;
    [[nodiscard]] std::size_t open_sessions() const noexcept;
    // Asks every live session to close once its in-flight request is answered (sessions do it on their strand).
    void shut_down_all();

private:
    server_options const& options_;
    services& ports_;
    router routes_;
    uring::rings* rings_ = nullptr;
    mutable std::mutex mutex_;
    std::unordered_map<session const*, std::weak_ptr<session>> sessions_;
};

} // namespace salonq::api::http
