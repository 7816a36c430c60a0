#pragma once

// What every live connection (WebSocket or Server-Sent Events) does with its socket once it is upgraded: it sends
// each frame at once, and it moves into the io_uring tables when there are some (docs/live-rings.md).

#include "api/uring/socket.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <optional>

namespace salonq::api::http {

// TCP_NODELAY: without it, a frame that follows one not yet acknowledged waits for the peer's delayed ACK (40 ms
// on Linux).
void live_socket_options(boost::asio::ip::tcp::socket& socket);

// The socket moved into `rings` (its descriptor closed), on the socket's executor; nothing when there are no rings,
// none has room or the socket is already gone, and then `socket` is as it was.
[[nodiscard]] std::optional<uring::socket> into_rings(boost::asio::ip::tcp::socket& socket, uring::rings* rings);

// Calls start(stream) once with the upgraded connection's socket, set for live frames: a uring::socket when a ring
// took it, else the tcp::socket itself (not at all if the peer is already gone). `start` takes either (auto&&).
template <class Start>
void start_live(boost::asio::ip::tcp::socket&& socket, uring::rings* rings, Start&& start) {
    live_socket_options(socket);
    if (auto held = into_rings(socket, rings)) {
        start(std::move(*held));
    } else if (socket.is_open()) {
        start(std::move(socket));
    }
}

} // namespace salonq::api::http
