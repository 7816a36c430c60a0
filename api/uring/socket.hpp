#pragma once

// A connected socket held in a ring (no file descriptor of its own), as an Asio AsyncStream, so that
// beast::websocket::stream<uring::socket> runs a WebSocket over it unchanged. Reads and writes are recvmsg/sendmsg
// through the ring; each completion is posted to the handler's executor (the session's strand) with the work it
// holds until then. close() shuts the socket down, which ends a pending read with end-of-file; the WebSocket's
// teardown and its timeouts close it the same way (the Beast hooks below). Not thread-safe: one strand drives it.

#include "api/uring/rings.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstddef>
#include <utility>

namespace salonq::uring {

namespace detail {

// One read or write of at most max_buffers pieces; deletes itself before its handler runs.
template <class Handler>
class io_op final : public operation {
public:
    static constexpr std::size_t max_buffers = 16;

    io_op(Handler&& handler, boost::asio::any_io_executor const& stream_executor, bool reading)
        : handler_(std::move(handler)),
          work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_, stream_executor),
                                    boost::asio::execution::outstanding_work.tracked)),
          reading_(reading) {}

    // Points the message at the sequence's first non-empty pieces; the bytes asked for.
    template <class Buffers>
    std::size_t point_at(Buffers const& buffers) {
        std::size_t count = 0;
        std::size_t bytes = 0;
        for (auto it = boost::asio::buffer_sequence_begin(buffers);
             it != boost::asio::buffer_sequence_end(buffers) && count < max_buffers; ++it) {
            auto const piece = boost::asio::buffer(*it);
            if (piece.size() == 0) {
                continue;
            }
            vectors_[count].iov_base = const_cast<void*>(static_cast<void const*>(piece.data())); // NOLINT: iovec
            vectors_[count].iov_len = piece.size();
            bytes += piece.size();
            ++count;
        }
        message.msg_iov = vectors_.data();
        message.msg_iovlen = count;
        return bytes;
    }

    void complete(int result) noexcept override {
        if (result < 0) {
            finish(boost::system::error_code{-result, boost::system::system_category()}, 0);
        } else if (result == 0 && reading_) {
            finish(boost::asio::error::eof, 0); // reads are only asked with room to read
        } else if (result == 0) {
            finish(boost::asio::error::broken_pipe, 0); // a write that moved nothing: Asio's loop would stop quietly
        } else {
            finish({}, static_cast<std::size_t>(result));
        }
    }

    // Posts the handler with this outcome, after deleting the operation.
    void finish(boost::system::error_code ec, std::size_t bytes) noexcept {
        auto handler = std::move(handler_);
        auto work = std::move(work_);
        delete this; // NOLINT: an operation owns itself until it completes
        boost::asio::post(work, boost::beast::bind_front_handler(std::move(handler), ec, bytes));
    }

    void abandon() noexcept override { delete this; } // NOLINT: the ring is going; the handler goes with it

private:
    Handler handler_;
    boost::asio::any_io_executor work_;
    std::array<iovec, max_buffers> vectors_{};
    bool reading_;
};

} // namespace detail

class socket {
public:
    using executor_type = boost::asio::any_io_executor;

    socket(executor_type executor, place where)
        : executor_(std::move(executor)), where_(std::move(where)), open_(true) {}
    socket(socket&& other) noexcept
        : executor_(std::move(other.executor_)), where_(std::move(other.where_)),
          open_(std::exchange(other.open_, false)) {}
    socket& operator=(socket&&) = delete;
    socket(socket const&) = delete;
    socket& operator=(socket const&) = delete;
    ~socket() { close(); }

    [[nodiscard]] executor_type get_executor() const noexcept { return executor_; }
    [[nodiscard]] bool is_open() const noexcept { return open_; }

    // Shuts the socket down and frees its slot; pending operations complete (a read with end-of-file).
    void close() noexcept {
        if (std::exchange(open_, false)) {
            where_.home->release(where_.slot);
        }
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(MutableBuffers const& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, MutableBuffers const& b) { this->start(std::move(handler), b, true); }, token,
            buffers);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(ConstBuffers const& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, ConstBuffers const& b) { this->start(std::move(handler), b, false); }, token, buffers);
    }

private:
    template <class Handler, class Buffers>
    void start(Handler&& handler, Buffers const& buffers, bool reading) {
        auto* op = new detail::io_op<std::decay_t<Handler>>(std::forward<Handler>(handler), executor_, reading);
        std::size_t const bytes = op->point_at(buffers);
        if (!open_) {
            op->finish(boost::asio::error::bad_descriptor, 0);
        } else if (bytes == 0) {
            op->finish({}, 0); // nothing to move
        } else if (reading) {
            where_.home->receive(where_.slot, *op);
        } else {
            where_.home->send(where_.slot, *op);
        }
    }

    executor_type executor_;
    place where_;
    bool open_;
};

// Beast's hooks: how a WebSocket over this socket closes it (timeouts, errors) and tears it down (after the close
// handshake). Teardown is the shutdown that close() does; there is nothing left to read after a close frame.
inline void beast_close_socket(socket& s) { s.close(); }

inline void teardown(boost::beast::role_type, socket& s, boost::system::error_code& ec) {
    s.close();
    ec = {};
}

template <class TeardownHandler>
void async_teardown(boost::beast::role_type, socket& s, TeardownHandler&& handler) {
    s.close();
    boost::asio::post(s.get_executor(), boost::beast::bind_front_handler(std::forward<TeardownHandler>(handler),
                                                                         boost::system::error_code{}));
}

} // namespace salonq::uring
