#include "api/traffic/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <charconv>

namespace salonq::api::traffic {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

http::verb verb_of(method m) {
    switch (m) {
    case method::get:
        return http::verb::get;
    case method::put:
        return http::verb::put;
    case method::patch:
        return http::verb::patch;
    case method::post:
        return http::verb::post;
    }
    return http::verb::get;
}

std::optional<std::chrono::seconds> retry_after_of(http::fields const& headers) {
    auto it = headers.find(http::field::retry_after);
    if (it == headers.end()) {
        return std::nullopt;
    }
    auto const v = it->value();
    long seconds = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (ec != std::errc{} || ptr != v.data() + v.size() || seconds < 0) {
        return std::nullopt;
    }
    return std::chrono::seconds{seconds};
}

} // namespace

std::expected<endpoint, std::string> parse_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (!url.starts_with(scheme)) {
        return std::unexpected(std::string{"the URL must start with http:// (e.g. http://127.0.0.1:8080)"});
    }
    url.remove_prefix(scheme.size());
    url = url.substr(0, url.find('/'));
    auto const colon = url.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == url.size()) {
        return std::unexpected(std::string{"the URL must name a host and a port (http://HOST:PORT)"});
    }
    return endpoint{std::string{url.substr(0, colon)}, std::string{url.substr(colon + 1)}};
}

struct http_client::impl {
    endpoint where;
    std::chrono::milliseconds timeout;
    boost::asio::io_context ioc;
    std::unique_ptr<beast::tcp_stream> stream; // none between a failure and the next connect
    beast::flat_buffer buffer;

    // Runs the started asynchronous operation to its end (or its timeout).
    void run() {
        ioc.restart();
        ioc.run();
    }

    boost::system::error_code connect() {
        boost::system::error_code ec;
        tcp::resolver resolver{ioc};
        auto const found = resolver.resolve(where.host, where.port, ec);
        if (ec) {
            return ec;
        }
        stream = std::make_unique<beast::tcp_stream>(ioc);
        stream->expires_after(timeout);
        stream->async_connect(found, [&ec](boost::system::error_code e, tcp::endpoint const&) { ec = e; });
        run();
        return ec;
    }

    void close() {
        if (stream) {
            boost::system::error_code ignored;
            (void)stream->socket().shutdown(tcp::socket::shutdown_both, ignored); // errors go to `ignored`
            stream.reset();
        }
        buffer.clear();
    }

    [[nodiscard]] std::expected<answer, std::string> exchange(request const& r) {
        http::request<http::string_body> req{verb_of(r.verb), r.target, 11};
        req.set(http::field::host, where.host);
        req.set(http::field::user_agent, "salonq-traffic");
        if (!r.bearer.empty()) {
            req.set(http::field::authorization, "Bearer " + r.bearer);
        }
        if (!r.idempotency_key.empty()) {
            req.set("Idempotency-Key", r.idempotency_key);
        }
        if (!r.body.empty()) {
            req.set(http::field::content_type, "application/json");
        }
        req.body() = r.body;
        req.prepare_payload();
        req.keep_alive(true);

        boost::system::error_code ec;
        stream->expires_after(timeout);
        http::async_write(*stream, req, [&ec](boost::system::error_code e, std::size_t) { ec = e; });
        run();
        if (ec) {
            return std::unexpected(ec.message());
        }
        http::response<http::string_body> res;
        stream->expires_after(timeout);
        http::async_read(*stream, buffer, res, [&ec](boost::system::error_code e, std::size_t) { ec = e; });
        run();
        if (ec) {
            return std::unexpected(ec.message());
        }
        if (!res.keep_alive()) {
            close();
        }
        return answer{static_cast<int>(res.result_int()), std::move(res.body()), retry_after_of(res)};
    }
};

http_client::http_client(endpoint where, std::chrono::milliseconds timeout) : impl_(std::make_unique<impl>()) {
    impl_->where = std::move(where);
    impl_->timeout = timeout;
}

http_client::~http_client() { impl_->close(); }

std::expected<answer, std::string> http_client::send(request const& r) {
    // A kept-alive connection the server has closed since fails on its first use: one fresh try then.
    for (int attempt = 0; attempt < 2; ++attempt) {
        bool const reused = impl_->stream != nullptr;
        if (!reused) {
            if (auto ec = impl_->connect()) {
                impl_->close();
                return std::unexpected(ec.message());
            }
        }
        auto got = impl_->exchange(r);
        if (got) {
            return got;
        }
        impl_->close();
        if (!reused) {
            return got;
        }
    }
    return std::unexpected(std::string{"connection lost"});
}

} // namespace salonq::api::traffic
