#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace salonq::api::traffic {

// Where a server listens, from "http://HOST:PORT" (a trailing slash or path is ignored; only plain http).
struct endpoint {
    std::string host;
    std::string port;
    [[nodiscard]] std::string url() const { return "http://" + host + ":" + port; }
};
[[nodiscard]] std::expected<endpoint, std::string> parse_url(std::string_view url);

enum class method : std::uint8_t { get, put, patch, post };

struct request {
    method verb = method::get;
    std::string target; // /v1/salons/demo/queue
    std::string body;   // JSON, or empty
    std::string bearer;
    std::string idempotency_key; // empty: none
};

struct answer {
    int status = 0;
    std::string body;
    std::optional<std::chrono::seconds> retry_after;
};

// A synchronous HTTP/1.1 client (Boost.Beast) with one keep-alive connection to one server. An exchange that fails
// (refused, reset, timed out) closes the connection and is an error value; the next request connects again, so a
// restarted server is simply picked up. Every connect, write and read has `timeout`. Beast stays in the .cpp.
// Not thread-safe: one client per thread.
class http_client {
public:
    explicit http_client(endpoint where, std::chrono::milliseconds timeout = std::chrono::seconds{10});
    ~http_client();
    http_client(http_client const&) = delete;
    http_client& operator=(http_client const&) = delete;

    [[nodiscard]] std::expected<answer, std::string> send(request const& r);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::api::traffic
