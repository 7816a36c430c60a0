#pragma once

// One HTTP/1.1 connection, after Boost.Beast's advanced server example: read a request, hand it to dispatch(),
// write the response, read the next (keep-alive). Every read and write has a deadline: an idle connection is
// closed after idle_timeout, a request must arrive whole within request_timeout of its first byte (slowloris),
// and limits on header and body size answer 431 and 413. Runs on its own strand; a handler's reply may come from
// any thread (the engine's) and is posted back to it. Kept alive by the operations in flight (shared_from_this).

#include "api/http/response.hpp"
#include "api/http/shared_state.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace salonq::api::http {

class session : public std::enable_shared_from_this<session> {
public:
    session(boost::asio::ip::tcp::socket&& socket, shared_state& state);
    ~session();
    session(session const&) = delete;
    session& operator=(session const&) = delete;

    // Starts reading; `refuse`: the server is at its connection cap, answer 503 to the first request and close.
    void run(bool refuse);
    // From any thread: close once the request in flight (if any) is answered.
    void shut_down();

private:
    void wait_for_request();
    void on_first_bytes(boost::beast::error_code ec, std::size_t n);
    void read_request();
    void on_read(boost::beast::error_code ec);
    void handle();
    // A live route asked for a stream: the connection goes to a WebSocket or SSE session; true if it did.
    bool take_over(request const& bound, replier& reply);
    void send(response r);
    void on_write(bool keep_alive, boost::beast::error_code ec);
    void close();
    void log_access(response const& r, int code) const;

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::shared_ptr<void> out_; // the response being written
    shared_state& state_;
    bool refuse_ = false;
    bool busy_ = false;     // a request is being handled or its response written
    bool stopping_ = false; // shut_down() was called
    std::chrono::steady_clock::time_point started_{};
    std::string request_id_;
    std::string method_;
    std::string origin_; // the request's Origin, for CORS
    std::string client_; // the peer's address
};

} // namespace salonq::api::http
