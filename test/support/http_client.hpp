#pragma once

// A small synchronous HTTP/1.1 client over Boost.Beast for tests: one keep-alive connection to 127.0.0.1:port,
// requests with any headers, and the answer's status, headers and body. Also raw bytes for malformed requests.

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace salonq::test {

struct http_answer {
    int status = 0;
    boost::beast::http::fields headers;
    std::string body;

    [[nodiscard]] std::string header(std::string_view name) const {
        auto it = headers.find(boost::beast::string_view{name.data(), name.size()});
        return it == headers.end() ? std::string{} : std::string{it->value()};
    }
};

using header_list = std::vector<std::pair<std::string, std::string>>;

class http_client {
public:
    // `bearer`: the token sent with every request that does not set Authorization itself.
    explicit http_client(std::uint16_t port, std::string bearer = {}) : socket_(ioc_), bearer_(std::move(bearer)) {
        socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    }

    http_answer request(boost::beast::http::verb method, std::string const& target, std::string body = {},
                        header_list const& headers = {}, bool json = true) {
        boost::beast::http::request<boost::beast::http::string_body> req{method, target, 11};
        req.set(boost::beast::http::field::host, "127.0.0.1");
        if (json && !body.empty()) {
            req.set(boost::beast::http::field::content_type, "application/json");
        }
        if (!bearer_.empty()) {
            req.set(boost::beast::http::field::authorization, "Bearer " + bearer_);
        }
        for (auto const& [name, value] : headers) {
            req.set(name, value);
        }
        req.body() = std::move(body);
        req.prepare_payload();
        boost::beast::http::write(socket_, req);
        return read_answer(method == boost::beast::http::verb::head);
    }
    http_answer get(std::string const& target, header_list const& headers = {}) {
        return request(boost::beast::http::verb::get, target, {}, headers);
    }
    http_answer post(std::string const& target, std::string body, header_list const& headers = {}) {
        return request(boost::beast::http::verb::post, target, std::move(body), headers);
    }

    // Sends bytes as they are and reads one answer.
    http_answer raw(std::string_view bytes) {
        boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()));
        return read_answer();
    }
    void send_raw(std::string_view bytes) {
        boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()));
    }

    // Reads what arrives until `count` occurrences of `marker` are in it (or `limit` passes): for streams.
    std::string read_some_text(std::chrono::milliseconds limit, std::string_view marker, int count) {
        std::string out{static_cast<char const*>(buffer_.data().data()), buffer_.size()};
        buffer_.consume(buffer_.size());
        auto const deadline = std::chrono::steady_clock::now() + limit;
        auto occurrences = [&] {
            int n = 0;
            for (auto at = out.find(marker); at != std::string::npos; at = out.find(marker, at + marker.size())) {
                ++n;
            }
            return n;
        };
        while (occurrences() < count && std::chrono::steady_clock::now() < deadline) {
            socket_.non_blocking(true);
            std::array<char, 4096> chunk{};
            boost::system::error_code ec;
            auto const n = socket_.read_some(boost::asio::buffer(chunk), ec);
            if (ec == boost::asio::error::would_block) {
                std::this_thread::sleep_for(std::chrono::milliseconds{5});
                continue;
            }
            if (ec) {
                break;
            }
            out.append(chunk.data(), n);
        }
        socket_.non_blocking(false);
        return out;
    }

    // Whether the server has closed the connection (a read ends at once with EOF or a reset).
    bool closed_by_server() {
        char c = 0;
        boost::system::error_code ec;
        socket_.read_some(boost::asio::buffer(&c, 1), ec);
        return static_cast<bool>(ec);
    }

    // `head`: the answer to a HEAD, whose Content-Length announces a body that does not follow.
    http_answer read_answer(bool head = false) {
        boost::beast::http::response_parser<boost::beast::http::string_body> parser;
        parser.body_limit(std::uint64_t{64} * 1024 * 1024);
        parser.skip(head);
        boost::beast::http::read(socket_, buffer_, parser);
        auto& res = parser.get();
        http_answer out;
        out.status = static_cast<int>(res.result_int());
        for (auto const& f : res) {
            out.headers.insert(f.name_string(), f.value());
        }
        out.body = std::move(res.body());
        return out;
    }

private:
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
    std::string bearer_;
};

} // namespace salonq::test
