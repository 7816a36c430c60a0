#include "api/http/live/ws_session.hpp"

#include "api/http/live/live_socket.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket.hpp>

namespace salonq::api::http {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = boost::beast::websocket;

template <class NextLayer>
basic_ws_session<NextLayer>::basic_ws_session(NextLayer&& next, live_hub& hub, std::string salon,
                                              auth::token_lease lease, live_hub::seat seat, std::uint64_t after,
                                              std::chrono::seconds idle_timeout,
                                              std::chrono::milliseconds write_timeout)
    : ws_(std::move(next)), hub_(hub), salon_(std::move(salon)), lease_(std::move(lease)), seat_(std::move(seat)),
      sent_seq_(after), write_timeout_(write_timeout) {
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = idle_timeout; // a ping goes out at half of it; silence past it closes
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "salonq"); }));
    ws_.read_message_max(4096); // a screen has nothing to say beyond control frames
}

template <class NextLayer>
basic_ws_session<NextLayer>::~basic_ws_session() {
    if (id_ != 0) {
        hub_.leave(salon_, id_);
    }
}

template <class NextLayer>
void basic_ws_session<NextLayer>::run(upgrade_request upgrade) {
    auto req = std::make_shared<upgrade_request>(std::move(upgrade));
    net::dispatch(ws_.get_executor(), [self = this->shared_from_this(), req] {
        self->ws_.async_accept(*req, [self, req](beast::error_code ec) { self->on_accept(ec); });
    });
}

template <class NextLayer>
void basic_ws_session<NextLayer>::on_accept(beast::error_code ec) {
    if (ec) {
        return;
    }
    open_ = true;
    id_ = hub_.join(salon_, this->weak_from_this(), std::move(lease_), std::move(seat_));
    if (auto current = hub_.latest(salon_)) {
        enqueue(current);
    }
    read_next();
}

template <class NextLayer>
void basic_ws_session<NextLayer>::deliver(frame_ptr const& frame) {
    net::post(ws_.get_executor(), [self = this->shared_from_this(), frame] { self->enqueue(frame); });
}

template <class NextLayer>
void basic_ws_session<NextLayer>::close() {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->end(); });
}

// Closing the socket ends the pending read and write at once; a screen reconnects by itself. Also after a failed
// read or write: Beast marks the stream failed but leaves the socket open, and its timer then sends no more pings,
// so a screen whose write failed would hang on, frozen, until its peer next said something.
template <class NextLayer>
void basic_ws_session<NextLayer>::end() {
    open_ = false;
    queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end()); // the one being written is popped by its handler
    beast::close_socket(beast::get_lowest_layer(ws_));
}

template <class NextLayer>
bool basic_ws_session<NextLayer>::stuck(std::chrono::steady_clock::time_point now) const noexcept {
    auto const since = writing_since_.load(std::memory_order_relaxed);
    return since != 0 && now.time_since_epoch() - std::chrono::nanoseconds{since} > write_timeout_;
}

template <class NextLayer>
void basic_ws_session<NextLayer>::enqueue(frame_ptr const& frame) {
    if (!open_ || !newer_frame(frame->seq, frame->ws, sent_seq_, sent_ ? &sent_->ws : nullptr)) {
        return;
    }
    if (writing_ && stuck(std::chrono::steady_clock::now())) {
        // A peer that does not read: checked as a change comes (and by the hub's sweep) rather than by a timer per
        // write (a timer armed and cancelled for each of 50,000 screens at every change). The pending write ends
        // with the socket.
        end();
        return;
    }
    sent_seq_ = frame->seq;
    sent_ = frame;
    if (queue_.size() >= max_queued) {
        // Behind: keep the frame being written and jump to the newest.
        queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end());
    }
    queue_.push_back(frame);
    if (!writing_) {
        write_next();
    }
}

template <class NextLayer>
void basic_ws_session<NextLayer>::write_next() {
    writing_ = true;
    writing_since_.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count(),
        std::memory_order_relaxed);
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front()->ws),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->queue_.pop_front();
                        self->writing_since_.store(0, std::memory_order_relaxed);
                        if (ec) {
                            self->writing_ = false;
                            self->end();
                            return;
                        }
                        if (self->queue_.empty()) {
                            self->writing_ = false;
                        } else {
                            self->write_next();
                        }
                    });
}

// Reads (and drops) what the peer sends, so control frames (pong, close) are processed and a gone peer is seen.
template <class NextLayer>
void basic_ws_session<NextLayer>::read_next() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) {
            self->end();
            return;
        }
        self->in_.consume(self->in_.size());
        self->read_next();
    });
}

template class basic_ws_session<net::ip::tcp::socket>;
template class basic_ws_session<uring::socket>;

void open_ws_session(net::ip::tcp::socket&& socket, uring::rings* rings, live_hub& hub, std::string salon,
                     auth::token_lease lease, live_hub::seat seat, std::uint64_t after,
                     std::chrono::seconds idle_timeout, std::chrono::milliseconds write_timeout,
                     upgrade_request upgrade) {
    start_live(std::move(socket), rings, [&](auto&& stream) {
        using stream_type = std::decay_t<decltype(stream)>;
        std::make_shared<basic_ws_session<stream_type>>(std::forward<decltype(stream)>(stream), hub, std::move(salon),
                                                        std::move(lease), std::move(seat), after, idle_timeout,
                                                        write_timeout)
            ->run(std::move(upgrade));
    });
}

} // namespace salonq::api::http
