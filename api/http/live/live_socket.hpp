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

} // namespace salonq::api::http
