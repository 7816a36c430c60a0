#pragma once

// One Server-Sent Events stream of a salon's live view, for a browser's EventSource: the response header, then
// each frame as an event whose id is its seq, so EventSource's own reconnect (Last-Event-ID) resumes where it
// left off. The same queue rule as ws_session (a connection behind skips to the newest frame); a comment line
// every heartbeat keeps proxies and the client's idea of the connection alive; a write that does not finish
// within the write timeout drops the connection. Runs on the strand it inherits from the HTTP session.
// Over a plain TCP socket, or over one held in an io_uring table (uring::socket): open_sse_session picks, as
// open_ws_session does (docs/live-rings.md).

#include "api/http/live/live_hub.hpp"
#include "api/uring/socket.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

namespace salonq::api::http {

template <class Stream>
class basic_sse_session : public live_subscriber, public std::enable_shared_from_this<basic_sse_session<Stream>> {
public:
    basic_sse_session(Stream&& stream, live_hub& hub, std::string salon, auth::token_lease lease, live_hub::seat seat,
                      std::uint64_t after, std::chrono::milliseconds write_timeout);
    ~basic_sse_session() override;
    basic_sse_session(basic_sse_session const&) = delete;
    basic_sse_session& operator=(basic_sse_session const&) = delete;

    // Writes `header` (the HTTP response head, already serialized), then streams.
    void run(std::string header);
    void deliver(frame_ptr const& frame) override;
    void close() override;

    static constexpr std::size_t max_queued = 4;
    static constexpr std::chrono::seconds heartbeat{15};

private:
    void enqueue(std::shared_ptr<std::string const> bytes, std::uint64_t seq);
    void write_next();
    void watch_peer();
    void beat();
    void end();

    Stream stream_;
    boost::asio::steady_timer heartbeat_timer_;
    boost::asio::steady_timer write_timer_; // a write still going when it fires ends the connection
    live_hub& hub_;
    std::string salon_;
    auth::token_lease lease_; // handed to the hub, which ends the stream when the token lapses
    live_hub::seat seat_;     // its place among the streams, taken before it opened: handed to the hub on joining
    std::uint64_t sent_seq_;
    std::shared_ptr<std::string const> sent_; // that seq's text (none at a resume point)
    std::uint64_t id_ = 0;
    std::chrono::milliseconds write_timeout_;
    std::deque<std::shared_ptr<std::string const>> queue_; // the header, frames' sse text, heartbeats
    std::array<char, 512> sink_{};                         // what the peer sends after its request: ignored
    std::uint64_t writes_ = 0; // started: the write timer's handler checks it is still its write's
    bool writing_ = false;
    bool open_ = true;
};

extern template class basic_sse_session<boost::asio::ip::tcp::socket>;
extern template class basic_sse_session<uring::socket>;

// Hands a connection whose request asked for an event stream to an SSE session, in the rings when it can.
void open_sse_session(boost::asio::ip::tcp::socket&& socket, uring::rings* rings, live_hub& hub, std::string salon,
                      auth::token_lease lease, live_hub::seat seat, std::uint64_t after,
                      std::chrono::milliseconds write_timeout, std::string header);

} // namespace salonq::api::http
