#pragma once

// One WebSocket connection to a salon's live view (after Beast's chat-multi example): it receives the current
// frame, then every newer one. Frames wait in a short queue; a connection that falls behind drops the frames
// queued after the one being written and keeps only the newest (each frame is the whole view, so skipping loses
// nothing), so a slow screen never slows the others. Pings keep idle connections honest: a peer silent past
// the idle timeout is closed. A peer that sends but does not read is never idle: a change that finds a frame still
// being written after the write timeout closes it (it holds a socket buffer full of old views), and so does the
// hub's sweep when no change comes (stuck()). Runs on its own strand;
// frames arrive from the publisher's thread by post. Over a plain TCP socket (the WebSocket's own timeouts apply), or
// over a socket held in an io_uring table (uring::socket), which needs no file descriptor: open_ws_session picks
// (docs/live-rings.md).

#include "api/http/live/live_hub.hpp"
#include "api/uring/socket.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

namespace salonq::api::http {

using upgrade_request = boost::beast::http::request<boost::beast::http::string_body>;

template <class NextLayer>
class basic_ws_session : public live_subscriber, public std::enable_shared_from_this<basic_ws_session<NextLayer>> {
public:
    basic_ws_session(NextLayer&& next, live_hub& hub, std::string salon, auth::token_lease lease, live_hub::seat seat,
                     std::uint64_t after, std::chrono::seconds idle_timeout, std::chrono::milliseconds write_timeout);
    ~basic_ws_session() override;
    basic_ws_session(basic_ws_session const&) = delete;
    basic_ws_session& operator=(basic_ws_session const&) = delete;

    // Completes the upgrade this request asked for, then streams.
    void run(upgrade_request upgrade);
    void deliver(frame_ptr const& frame) override;
    void close() override;
    [[nodiscard]] bool stuck(std::chrono::steady_clock::time_point now) const noexcept override;

    static constexpr std::size_t max_queued = 4;

private:
    void on_accept(boost::beast::error_code ec);
    void enqueue(frame_ptr const& frame);
    void write_next();
    void read_next();
    void end();

    boost::beast::websocket::stream<NextLayer> ws_;
    boost::beast::flat_buffer in_;
    live_hub& hub_;
    std::string salon_;
    auth::token_lease lease_; // handed to the hub, which ends the stream when the token lapses
    live_hub::seat seat_;     // its place among the streams, taken before it opened: handed to the hub on joining
    std::uint64_t sent_seq_;  // the newest seq queued or sent: older frames are skipped
    frame_ptr sent_;          // that frame (none at a resume point): one at its seq is sent only if it differs
    std::uint64_t id_ = 0;    // in the hub, once joined
    std::deque<frame_ptr> queue_;
    bool writing_ = false;
    bool open_ = false;
    std::chrono::milliseconds write_timeout_;
    // When the frame being written began (steady clock, ns), 0 when none is: read by the sweep's thread.
    std::atomic<std::int64_t> writing_since_{0};
};

extern template class basic_ws_session<boost::asio::ip::tcp::socket>;
extern template class basic_ws_session<uring::socket>;

// Hands an upgraded connection to a WebSocket session: its socket moves into `rings` when there are some and one
// has room (the descriptor is closed), else it stays a plain TCP stream.
void open_ws_session(boost::asio::ip::tcp::socket&& socket, uring::rings* rings, live_hub& hub, std::string salon,
                     auth::token_lease lease, live_hub::seat seat, std::uint64_t after,
                     std::chrono::seconds idle_timeout, std::chrono::milliseconds write_timeout,
                     upgrade_request upgrade);

} // namespace salonq::api::http
