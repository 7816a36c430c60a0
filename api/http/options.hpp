#pragma once

// What an operator tunes about the HTTP server (flags, SALONQ_* variables or the config file; see api/cli).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace salonq::api::http {

struct server_options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;                           // 0: any free port (tests); the bound one is server::port()
    int threads = 0;                                     // 0: one per core
    std::size_t max_body_bytes = std::size_t{64} * 1024; // the codec's limit on what a client sends
    std::size_t max_header_bytes = std::size_t{16} * 1024;
    std::size_t max_connections = 60'000;
    // Live streams (WebSocket and SSE) held at most, then 503: each costs ~7 KiB and a socket in the kernel.
    std::size_t max_live_streams = 100'000;
    // Live WebSockets held in io_uring tables, not one descriptor each (when the kernel has io_uring).
    bool live_rings = true;
    std::chrono::milliseconds idle_timeout{30'000};    // a kept-alive connection with no request coming
    std::chrono::milliseconds request_timeout{10'000}; // from a request's first byte to its last (slowloris)
    std::chrono::milliseconds write_timeout{10'000};
    std::chrono::milliseconds decision_wait{2'000};  // a POST waits this long for the engine's decision, then 202
    std::chrono::milliseconds drain_timeout{10'000}; // on SIGTERM: in-flight requests get this long to finish
    std::vector<std::string> cors_origins;           // allowed Origins; "*" for any; empty: no CORS headers
    // The address customers and screens reach this server at ("https://queue.example.com"), for the links it draws
    // (a ticket page's QR code); empty: the Host header of the request that asks.
    std::string public_url;
    // Token buckets (requests a second, and the burst allowed at once); a rate of 0 turns one off.
    double client_rate = 500; // per client address
    double client_burst = 1000;
    double token_rate = 100; // per bearer token
    double token_burst = 200;
};

} // namespace salonq::api::http
