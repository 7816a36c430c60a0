#include "notify/deliver/webhook_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <optional>

namespace salonq::notify {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

http::request<http::string_body> make_request(webhook_url const& url, std::string const& body,
                                              std::vector<std::pair<std::string, std::string>> const& headers) {
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    auto const default_port = url.tls ? "443" : "80";
    req.set(http::field::host, url.port == default_port ? url.host : url.host + ":" + url.port); // RFC 9110 7.2
    req.set(http::field::user_agent, "salonq-notify");
    req.set(http::field::content_type, "application/json");
    for (auto const& [name, value] : headers) {
        req.set(name, value);
    }
    req.body() = body;
    req.prepare_payload();
    return req;
}

// Resolve, connect, (handshake,) write, read: each step async under the stream's deadline, run to completion here.
template <typename Stream>
[[nodiscard]] std::expected<int, std::string>
exchange(net::io_context& ioc, Stream& stream, beast::tcp_stream& lowest, webhook_url const& url,
         http::request<http::string_body> const& req, std::chrono::milliseconds timeout) {
    std::optional<std::string> failed;
    std::optional<int> status;
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    tcp::resolver resolver{ioc};
    auto const fail = [&](beast::error_code ec, char const* step) { failed = std::string{step} + ": " + ec.message(); };
    auto const read_answer = [&](beast::error_code ec, std::size_t) {
        if (ec) {
            return fail(ec, "write");
        }
        http::async_read(stream, buffer, res, [&](beast::error_code rec, std::size_t) {
            if (rec) {
                return fail(rec, "read");
            }
            status = static_cast<int>(res.result_int());
        });
    };
    lowest.expires_after(timeout);
    resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, tcp::resolver::results_type const& found) {
        if (ec) {
            return fail(ec, "resolve");
        }
        lowest.async_connect(found, [&](beast::error_code cec, tcp::endpoint const&) {
            if (cec) {
                return fail(cec, "connect");
            }
            if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
                stream.async_handshake(ssl::stream_base::client, [&](beast::error_code hec) {
                    if (hec) {
                        return fail(hec, "TLS handshake");
                    }
                    http::async_write(stream, req, read_answer);
                });
            } else {
                http::async_write(stream, req, read_answer);
            }
        });
    });
    ioc.run();
    if (status) {
        return *status;
    }
    return std::unexpected(failed.value_or("no answer"));
}

} // namespace

std::expected<int, std::string> post_webhook(webhook_url const& url, std::string const& body,
                                             std::vector<std::pair<std::string, std::string>> const& headers,
                                             std::chrono::milliseconds timeout) {
    net::io_context ioc;
    auto const req = make_request(url, body, headers);
    if (!url.tls) {
        beast::tcp_stream stream{ioc};
        return exchange(ioc, stream, stream, url, req, timeout);
    }
    ssl::context ctx{ssl::context::tls_client};
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream{ioc, ctx};
    if (SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1) {
        return std::unexpected("TLS: cannot set the server name");
    }
    stream.set_verify_callback(ssl::host_name_verification{url.host});
    return exchange(ioc, stream, beast::get_lowest_layer(stream), url, req, timeout);
}

} // namespace salonq::notify
