#include "api/http/live/sse_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace salonq::api::http {

namespace beast = boost::beast;
namespace net = boost::asio;

sse_session::sse_session(beast::tcp_stream&& stream, live_hub& hub, std::string salon, std::uint64_t after,
                         std::chrono::milliseconds write_timeout)
    : stream_(std::move(stream)), heartbeat_timer_(stream_.get_executor()), hub_(hub), salon_(std::move(salon)),
      sent_seq_(after), write_timeout_(write_timeout) {}

sse_session::~sse_session() {
    if (id_ != 0) {
        hub_.leave(salon_, id_);
    }
}

void sse_session::run(std::string header) {
    net::dispatch(stream_.get_executor(), [self = shared_from_this(), header = std::move(header)]() mutable {
        self->queue_.push_back(std::make_shared<std::string const>(std::move(header)));
        self->write_next();
        self->id_ = self->hub_.join(self->salon_, self->weak_from_this());
        if (auto current = self->hub_.latest(self->salon_)) {
            self->enqueue(std::shared_ptr<std::string const>(current, &current->sse), current->seq);
        }
        self->watch_peer();
        self->beat();
    });
}

void sse_session::deliver(frame_ptr const& frame) {
    net::post(stream_.get_executor(), [self = shared_from_this(), frame] {
        self->enqueue(std::shared_ptr<std::string const>(frame, &frame->sse), frame->seq);
    });
}

void sse_session::enqueue(std::shared_ptr<std::string const> bytes, std::uint64_t seq) {
    if (!open_ || (seq != 0 && seq <= sent_seq_)) {
        return;
    }
    if (seq != 0) {
        sent_seq_ = seq;
        if (queue_.size() >= max_queued) { // behind: keep what is being written, jump to the newest
            queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end());
        }
    }
    queue_.push_back(std::move(bytes));
    if (!writing_) {
        write_next();
    }
}

void sse_session::write_next() {
    writing_ = true;
    stream_.expires_after(write_timeout_);
    net::async_write(stream_, net::buffer(*queue_.front()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         self->queue_.pop_front();
                         if (ec) {
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

void sse_session::close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->end(); });
}

// A browser sends nothing after its request: any read that ends means it went away.
void sse_session::watch_peer() {
    stream_.socket().async_read_some(net::buffer(sink_),
                                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                         if (ec) {
                                             self->end();
                                         } else {
                                             self->watch_peer();
                                         }
                                     });
}

void sse_session::beat() {
    heartbeat_timer_.expires_after(heartbeat);
    heartbeat_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec || !self->open_) {
            return;
        }
        static auto const comment = std::make_shared<std::string const>(": heartbeat\n\n");
        self->enqueue(comment, 0);
        self->beat();
    });
}

void sse_session::end() {
    if (!open_) {
        return;
    }
    open_ = false;
    queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end()); // the one being written is popped by its handler
    heartbeat_timer_.cancel();
    beast::error_code ignored;
    (void)stream_.socket().close(ignored); // errors go to `ignored`
}

} // namespace salonq::api::http
