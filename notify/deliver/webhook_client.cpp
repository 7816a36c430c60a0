#include "notify/deliver/webhook_client.hpp"

#include "notify/deliver/address_policy.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <fmt/format.h>

#include <algorithm>
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
    auto const host = url.host_as_written();
    req.set(http::field::host, url.port == default_port ? host : host + ":" + url.port); // RFC 9110 7.2
    req.set(http::field::user_agent, "salonq-notify");
    req.set(http::field::content_type, "application/json");
    for (auto const& [name, value] : headers) {
        req.set(name, value);
    }
    req.body() = body;
    req.prepare_payload();
    return req;
}

// Resolve, connect (to the allowed addresses only), (handshake,) write, read: each step async under the stream's
// deadline, run to completion here.
template <typename Stream>
[[nodiscard]] std::expected<int, post_failure>
exchange(net::io_context& ioc, Stream& stream, beast::tcp_stream& lowest, webhook_url const& url,
         http::request<http::string_body> const& req, post_options const& options) {
    std::optional<post_failure> failed;
    std::optional<int> status;
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    tcp::resolver resolver{ioc};
    std::vector<tcp::endpoint> allowed;
    auto const fail = [&](beast::error_code ec, post_errc code, char const* step) {
        failed = post_failure{ec == beast::error::timeout ? post_errc::timeout : code,
                              fmt::format("{}: {}", step, ec.message())};
    };
    auto const read_answer = [&](beast::error_code ec, std::size_t) {
        if (ec) {
            return fail(ec, post_errc::no_answer, "write");
        }
        http::async_read(stream, buffer, res, [&](beast::error_code rec, std::size_t) {
            if (rec) {
                return fail(rec, post_errc::no_answer, "read");
            }
            status = static_cast<int>(res.result_int());
        });
    };
    lowest.expires_after(options.timeout);
    resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, tcp::resolver::results_type const& found) {
        if (ec) {
            return fail(ec, post_errc::resolve_failed, "resolve");
        }
        for (auto const& entry : found) {
            if (options.allow_private || is_public_address(entry.endpoint().address())) {
                allowed.push_back(entry.endpoint());
            }
        }
        if (allowed.empty()) {
            failed = post_failure{post_errc::refused_private,
                                  fmt::format("{} resolved to {}, not a public address (not allowed)", url.host,
                                              found.begin()->endpoint().address().to_string())};
            return;
        }
        lowest.async_connect(allowed, [&](beast::error_code cec, tcp::endpoint const&) {
            if (cec) {
                return fail(cec, post_errc::connect_failed, "connect");
            }
            if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
                stream.async_handshake(ssl::stream_base::client, [&](beast::error_code hec) {
                    if (hec) {
                        return fail(hec, post_errc::tls_failed, "TLS handshake");
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
    return std::unexpected(failed.value_or(post_failure{post_errc::no_answer, "no answer"}));
}

} // namespace

std::string_view to_string(post_errc e) noexcept {
    switch (e) {
    case post_errc::refused_private:
        return "refused: private address";
    case post_errc::resolve_failed:
        return "resolve failed";
    case post_errc::connect_failed:
        return "connect failed";
    case post_errc::tls_failed:
        return "tls failed";
    case post_errc::timeout:
        return "timeout";
    case post_errc::no_answer:
        return "no answer";
    case post_errc::bad_address:
        return "bad address";
    case post_errc::no_webhook:
        return "no webhook";
    case post_errc::internal:
        return "internal error";
    }
    return "failed";
}

std::string failure_reason(int http_status) { return fmt::format("http {}", http_status); }

bool is_coarse_reason(std::string_view stored) noexcept {
    if (stored.size() == 8 && stored.starts_with("http ") &&
        std::all_of(stored.begin() + 5, stored.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return true;
    }
    for (auto e = 0; e <= static_cast<int>(post_errc::internal); ++e) {
        if (stored == to_string(static_cast<post_errc>(e))) {
            return true;
        }
    }
    return false;
}

std::expected<int, post_failure> post_webhook(webhook_url const& url, std::string const& body,
                                              std::vector<std::pair<std::string, std::string>> const& headers,
                                              post_options const& options) {
    net::io_context ioc;
    auto const req = make_request(url, body, headers);
    if (!url.tls) {
        beast::tcp_stream stream{ioc};
        return exchange(ioc, stream, stream, url, req, options);
    }
    ssl::context ctx{ssl::context::tls_client};
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream{ioc, ctx};
    boost::system::error_code not_an_address;
    (void)net::ip::make_address(url.host, not_an_address);
    // The server name goes to the server by name only: an IP literal is never sent as one (RFC 6066 3).
    if (not_an_address && SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1) {
        return std::unexpected(post_failure{post_errc::tls_failed, "TLS: cannot set the server name"});
    }
    stream.set_verify_callback(ssl::host_name_verification{url.host});
    return exchange(ioc, stream, beast::get_lowest_layer(stream), url, req, options);
}

} // namespace salonq::notify
