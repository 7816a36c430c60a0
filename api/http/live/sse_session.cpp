#include "api/http/live/sse_session.hpp"

#include "api/http/live/live_socket.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>

namespace salonq::api::http {

namespace beast = boost::beast;
namespace net = boost::asio;

template <class Stream>
basic_sse_session<Stream>::basic_sse_session(Stream&& stream, live_hub& hub, std::string salon, auth::token_lease lease,
                                             live_hub::seat seat, std::uint64_t after,
                                             std::chrono::milliseconds write_timeout)
    : stream_(std::move(stream)), heartbeat_timer_(stream_.get_executor()), write_timer_(stream_.get_executor()),
      hub_(hub), salon_(std::move(salon)), lease_(std::move(lease)), seat_(std::move(seat)), sent_seq_(after),
      write_timeout_(write_timeout) {}

template <class Stream>
basic_sse_session<Stream>::~basic_sse_session() {
    if (id_ != 0) {
        hub_.leave(salon_, id_);
    }
}

template <class Stream>
void basic_sse_session<Stream>::run(std::string header) {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this(), header = std::move(header)]() mutable {
        self->queue_.push_back(std::make_shared<std::string const>(std::move(header)));
        self->write_next();
        self->id_ =
            self->hub_.join(self->salon_, self->weak_from_this(), std::move(self->lease_), std::move(self->seat_));
        if (auto current = self->hub_.latest(self->salon_)) {
            self->enqueue(std::shared_ptr<std::string const>(current, &current->sse), current->seq);
        }
        self->watch_peer();
        self->beat();
    });
}

template <class Stream>
void basic_sse_session<Stream>::deliver(frame_ptr const& frame) {
    net::post(stream_.get_executor(), [self = this->shared_from_this(), frame] {
        self->enqueue(std::shared_ptr<std::string const>(frame, &frame->sse), frame->seq);
    });
}

template <class Stream>
void basic_sse_session<Stream>::enqueue(std::shared_ptr<std::string const> bytes, std::uint64_t seq) {
    if (!open_ || (seq != 0 && !newer_frame(seq, *bytes, sent_seq_, sent_.get()))) {
        return;
    }
    if (seq != 0) {
        sent_seq_ = seq;
        sent_ = bytes;
        if (queue_.size() >= max_queued) { // behind: keep what is being written, jump to the newest
            queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end());
        }
    }
    queue_.push_back(std::move(bytes));
    if (!writing_) {
        write_next();
    }
}

template <class Stream>
void basic_sse_session<Stream>::write_next() {
    writing_ = true;
    // The timer is for this write only: one that fired as the last write ended has its handler queued already, and
    // arming the timer again does not cancel it, so it checks which write it was armed for.
    auto const write = ++writes_;
    write_timer_.expires_after(write_timeout_);
    write_timer_.async_wait([self = this->shared_from_this(), write](beast::error_code ec) {
        if (!ec && self->writing_ && self->writes_ == write) {
            self->end(); // too slow a reader
        }
    });
    net::async_write(stream_, net::buffer(*queue_.front()),
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         self->queue_.pop_front();
                         if (ec) {
                             self->end();
                             return;
                         }
                         if (self->queue_.empty()) {
                             self->writing_ = false;
                             self->write_timer_.cancel();
                         } else {
                             self->write_next();
                         }
                     });
}

template <class Stream>
void basic_sse_session<Stream>::close() {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->end(); });
}

// A browser sends nothing after its request: any read that ends means it went away.
template <class Stream>
void basic_sse_session<Stream>::watch_peer() {
    stream_.async_read_some(net::buffer(sink_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) {
            self->end();
        } else {
            self->watch_peer();
        }
    });
}

template <class Stream>
void basic_sse_session<Stream>::beat() {
    heartbeat_timer_.expires_after(heartbeat);
    heartbeat_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (ec || !self->open_) {
            return;
        }
        static auto const comment = std::make_shared<std::string const>(": heartbeat\n\n");
        self->enqueue(comment, 0);
        self->beat();
    });
}

template <class Stream>
void basic_sse_session<Stream>::end() {
    if (!open_) {
        return;
    }
    open_ = false;
    queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end()); // the one being written is popped by its handler
    heartbeat_timer_.cancel();
    write_timer_.cancel();
    beast::close_socket(stream_); // ends the pending read and write
}

template class basic_sse_session<net::ip::tcp::socket>;
template class basic_sse_session<uring::socket>;

void open_sse_session(net::ip::tcp::socket&& socket, uring::rings* rings, live_hub& hub, std::string salon,
                      auth::token_lease lease, live_hub::seat seat, std::uint64_t after,
                      std::chrono::milliseconds write_timeout, std::string header) {
    start_live(std::move(socket), rings, [&](auto&& stream) {
        using stream_type = std::decay_t<decltype(stream)>;
        std::make_shared<basic_sse_session<stream_type>>(std::forward<decltype(stream)>(stream), hub, std::move(salon),
                                                         std::move(lease), std::move(seat), after, write_timeout)
            ->run(std::move(header));
    });
}

} // namespace salonq::api::http
