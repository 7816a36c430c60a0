// ws_bench: live WebSocket screens held by one `salonq serve`, its memory per connection and the change-to-client
// latency. Run by bench/http_bench.sh, which starts the server and issues the tokens.
//
//   1. reads the server's RSS (/proc/PID/status), opens --connections WebSockets to /v1/salons/S/live, S taken in
//      turn from the tokens file (lines "TOKEN SALON SALON ..."), each from one of --sources local addresses
//      127.0.0.2, 127.0.0.3, ... (IP_BIND_ADDRESS_NO_PORT: loopback has ~28k ephemeral ports per source address),
//      waits for every connection's first frame (the view), then reads the RSS again: memory per connection;
//   2. POSTs --changes walk-ins, one every --interval-ms, each to the next salon in turn that has screens, and
//      times each one from just before the POST is written to the arrival of its frame (the first with a newer
//      seq) on every screen of that salon: change-to-client latency p50/p90/p99/max, beside the POST's own
//      latency (POST to its 201).
// Prints "key: value" lines that the script picks up.

#include "api/uring/socket.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

struct salon_entry {
    std::string id;
    std::string token;
    std::size_t screens = 0;
    // The change being timed (guarded by the watch's mutex): when its POST left, the seq it must pass.
    bool pending = false;
    std::uint64_t round = 0;
    std::uint64_t after_seq = 0;
    std::uint64_t last_seq = 0; // the newest seq any of its screens has seen
    clock_type::time_point posted;
};

// What the connections and the POSTing thread share.
struct watch {
    std::mutex mutex;
    std::vector<salon_entry> salons;
    std::vector<std::int64_t> latencies_ns; // change to client
    std::atomic<std::size_t> connected{0};
    std::atomic<std::size_t> first_frames{0};
    std::atomic<std::size_t> failed{0};
    std::atomic<std::size_t> closed_later{0};
    std::map<std::string, std::size_t> errors; // by message, under mutex
    std::atomic<std::uint64_t> frames{0};
};

std::uint64_t seq_of(std::string_view frame) {
    auto const at = frame.find("\"seq\":");
    if (at == std::string_view::npos) {
        return 0;
    }
    std::uint64_t seq = 0;
    auto const* begin = frame.data() + at + 6;
    (void)std::from_chars(begin, frame.data() + frame.size(), seq);
    return seq;
}

// One screen. It connects a TCP socket; with rings, the socket then moves into them (no descriptor: 50,000 screens
// fit in a process capped at 20,000 descriptors, as on the server's side) and the WebSocket runs over the ring.
class screen : public std::enable_shared_from_this<screen> {
public:
    screen(net::io_context& ioc, salonq::uring::rings* rings, watch& w, std::size_t salon, tcp::endpoint server,
           net::ip::address source, std::function<void()> on_settled)
        : conn_(ioc), rings_(rings), watch_(w), salon_(salon), server_(std::move(server)), source_(std::move(source)),
          on_settled_(std::move(on_settled)) {}

    void start() {
        auto& sock = conn_.socket();
        beast::error_code ec;
        (void)sock.open(tcp::v4(), ec);
        if (!ec) {
            int one = 1;
            (void)::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
            (void)sock.bind(tcp::endpoint{source_, 0}, ec);
        }
        if (ec) {
            return fail("open/bind", ec);
        }
        conn_.expires_after(std::chrono::seconds{30});
        conn_.async_connect(server_, [self = shared_from_this()](beast::error_code e) { self->on_connect(e); });
    }

private:
    template <class F>
    void on_ws(F&& f) {
        if (ring_ws_) {
            f(*ring_ws_);
        } else if (tcp_ws_) {
            f(*tcp_ws_);
        }
    }

    void on_connect(beast::error_code ec) {
        if (ec) {
            return fail("connect", ec);
        }
        conn_.expires_never();
        if (rings_ != nullptr) {
            auto executor = conn_.get_executor();
            int const fd = conn_.release_socket().release(ec);
            if (ec) {
                return fail("release", ec);
            }
            auto where = rings_->adopt(fd);
            if (!where) {
                (void)::close(fd);
                return fail("adopt", net::error::no_buffer_space);
            }
            ring_ws_.emplace(salonq::uring::socket{executor, std::move(*where)});
        } else {
            tcp_ws_.emplace(std::move(conn_));
        }
        std::string token;
        std::string target;
        {
            std::scoped_lock lock{watch_.mutex};
            token = watch_.salons[salon_].token;
            target = "/v1/salons/" + watch_.salons[salon_].id + "/live";
        }
        on_ws([&](auto& ws) {
            ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
            ws.set_option(websocket::stream_base::decorator(
                [token](websocket::request_type& req) { req.set(http::field::authorization, "Bearer " + token); }));
            ws.async_handshake(fmt::format("127.0.0.1:{}", server_.port()), target,
                               [self = shared_from_this()](beast::error_code e) { self->on_handshake(e); });
        });
    }

    void on_handshake(beast::error_code ec) {
        if (ec) {
            return fail("handshake", ec);
        }
        watch_.connected.fetch_add(1);
        settle();
        read();
    }

    void read() {
        on_ws([&](auto& ws) {
            ws.async_read(buffer_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
        });
    }

    void on_read(beast::error_code ec) {
        if (ec) {
            watch_.closed_later.fetch_add(1);
            std::scoped_lock lock{watch_.mutex};
            ++watch_.errors["read after open: " + ec.message()];
            return;
        }
        auto const now = clock_type::now();
        auto const data = buffer_.cdata();
        auto const seq = seq_of({static_cast<char const*>(data.data()), data.size()});
        buffer_.consume(buffer_.size());
        watch_.frames.fetch_add(1);
        std::scoped_lock lock{watch_.mutex};
        auto& s = watch_.salons[salon_];
        s.last_seq = std::max(s.last_seq, seq);
        if (!got_first_) {
            got_first_ = true;
            watch_.first_frames.fetch_add(1);
        } else {
            if (s.pending && seq > s.after_seq && timed_round_ != s.round) {
                timed_round_ = s.round;
                watch_.latencies_ns.push_back(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.posted).count());
            }
        }
        read();
    }

    void fail(char const* step, beast::error_code ec) {
        watch_.failed.fetch_add(1);
        {
            std::scoped_lock lock{watch_.mutex};
            ++watch_.errors[fmt::format("{}: {}", step, ec.message())];
        }
        settle();
    }

    void settle() {
        if (!settled_) {
            settled_ = true;
            on_settled_();
        }
    }

    beast::tcp_stream conn_; // until connected
    salonq::uring::rings* rings_;
    std::optional<websocket::stream<salonq::uring::socket>> ring_ws_;
    std::optional<websocket::stream<beast::tcp_stream>> tcp_ws_;
    watch& watch_;
    std::size_t salon_;
    tcp::endpoint server_;
    net::ip::address source_;
    std::function<void()> on_settled_;
    beast::flat_buffer buffer_;
    bool got_first_ = false;
    bool settled_ = false;
    std::uint64_t timed_round_ = 0;
};

long rss_kib(int pid) {
    std::ifstream in{fmt::format("/proc/{}/status", pid)};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

// Pages of memory the kernel holds for TCP sockets (all of them, both ends of loopback): /proc/net/sockstat.
long tcp_mem_pages() {
    std::ifstream in{"/proc/net/sockstat"};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("TCP:", 0) == 0) {
            auto const at = line.find(" mem ");
            return at == std::string::npos ? -1 : std::stol(line.substr(at + 5));
        }
    }
    return -1;
}

double percentile_ms(std::vector<std::int64_t> const& sorted, double p) {
    if (sorted.empty()) {
        return 0.0;
    }
    auto const idx = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return static_cast<double>(sorted[idx]) / 1e6;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"ws_bench - WebSocket screens held by one salonq serve: memory per connection, change-to-client "
                 "latency"};
    std::uint16_t port = 0;
    std::string tokens_file;
    std::size_t connections = 1000;
    int sources = 4;
    std::size_t in_flight = 256;
    int server_pid = 0;
    std::size_t changes = 500;
    int interval_ms = 20;
    int threads = 1;
    bool use_rings = true;
    app.add_option("--port", port, "The server's port on 127.0.0.1")->required();
    app.add_option("--tokens", tokens_file, "Lines 'TOKEN SALON SALON ...': tokens that may read and walk in")
        ->required();
    app.add_option("--connections", connections, "WebSockets to open, spread over the salons in turn");
    app.add_option("--sources", sources, "Local source addresses 127.0.0.2 ... to spread them over");
    app.add_option("--in-flight", in_flight, "Connections being opened at once, at most");
    app.add_option("--server-pid", server_pid, "The server's pid, for its RSS")->required();
    app.add_option("--changes", changes, "Walk-ins POSTed and timed to their frames");
    app.add_option("--interval-ms", interval_ms, "Time between two POSTs");
    app.add_option("--threads", threads, "Client I/O threads");
    app.add_flag("--rings,!--no-rings", use_rings,
                 "Hold the client's sockets in io_uring tables (default), so more screens than this process's "
                 "open-file limit");
    CLI11_PARSE(app, argc, argv);

    watch w;
    {
        std::ifstream in{tokens_file};
        for (std::string line; std::getline(in, line);) {
            std::istringstream words{line};
            std::string token;
            words >> token;
            for (std::string salon; words >> salon;) {
                salon_entry e;
                e.id = salon;
                e.token = token;
                w.salons.push_back(std::move(e));
            }
        }
    }
    if (w.salons.empty()) {
        fmt::print(stderr, "ws_bench: no salons in {}\n", tokens_file);
        return 2;
    }

    net::io_context ioc;
    std::unique_ptr<salonq::uring::rings> rings; // after ioc: goes first
    if (use_rings) {
        auto opened = salonq::uring::rings::open();
        if (!opened) {
            fmt::print(stderr, "ws_bench: no io_uring ({}); --no-rings holds a descriptor per screen\n",
                       opened.error());
            return 2;
        }
        rings = std::move(*opened);
    }
    auto guard = net::make_work_guard(ioc);
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) {
        pool.emplace_back([&ioc] { ioc.run(); });
    }

    auto const server = tcp::endpoint{net::ip::make_address("127.0.0.1"), port};
    auto const rss_before = rss_kib(server_pid);
    auto const tcp_before = tcp_mem_pages();

    // Open them, at most in_flight at once.
    std::vector<std::shared_ptr<screen>> screens;
    screens.reserve(connections);
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> settled{0};
    std::function<void()> open_next;
    open_next = [&] {
        auto const i = next.fetch_add(1);
        if (i >= connections) {
            return;
        }
        auto const salon = i % w.salons.size();
        auto const source = net::ip::make_address_v4(
            static_cast<net::ip::address_v4::uint_type>((127U << 24) + 2U + (i % static_cast<std::size_t>(sources))));
        auto s = std::make_shared<screen>(ioc, rings.get(), w, salon, server, net::ip::address{source}, [&] {
            settled.fetch_add(1);
            net::post(ioc, open_next);
        });
        {
            std::scoped_lock lock{w.mutex};
            w.salons[salon].screens++;
            screens.push_back(s);
        }
        s->start();
    };
    auto const open_start = clock_type::now();
    for (std::size_t i = 0; i < std::min(in_flight, connections); ++i) {
        net::post(ioc, open_next);
    }
    while (settled.load() < connections) {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    auto const open_seconds = std::chrono::duration<double>(clock_type::now() - open_start).count();
    auto const connected = w.connected.load();
    // Every open screen gets the view first; wait for those (at most 60 s), then let the server settle.
    auto const wait_until = clock_type::now() + std::chrono::seconds{60};
    while (w.first_frames.load() < connected && clock_type::now() < wait_until) {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    std::this_thread::sleep_for(std::chrono::seconds{2});
    auto const rss_after = rss_kib(server_pid);
    auto const tcp_after = tcp_mem_pages();

    fmt::print("ws connections: {} of {} open in {:.1f} s ({} failed; {} source addresses)\n", connected, connections,
               open_seconds, w.failed.load(), sources);
    fmt::print("ws first frames: {}\n", w.first_frames.load());
    {
        std::scoped_lock lock{w.mutex};
        for (auto const& [what, count] : w.errors) {
            fmt::print("ws error: {} x {}\n", count, what);
        }
    }
    fmt::print("ws server rss kib: before {} after {}\n", rss_before, rss_after);
    if (connected > 0) {
        fmt::print("ws memory per connection: {:.1f} KiB (serve RSS)\n",
                   static_cast<double>(rss_after - rss_before) / static_cast<double>(connected));
        fmt::print("ws kernel tcp memory per connection: {:.1f} KiB (/proc/net/sockstat, both ends)\n",
                   static_cast<double>(tcp_after - tcp_before) * 4.0 / static_cast<double>(connected));
    }

    // Changes: POST walk-ins to salons with screens, one at a time in turn, over one kept-alive connection.
    std::vector<std::size_t> watched;
    for (std::size_t i = 0; i < w.salons.size(); ++i) {
        if (w.salons[i].screens > 0) {
            watched.push_back(i);
        }
    }
    std::vector<std::int64_t> post_ns;
    std::size_t expected = 0;
    std::size_t post_errors = 0;
    std::map<unsigned, std::size_t> statuses;
    if (connected > 0 && changes > 0) {
        beast::tcp_stream stream{ioc};
        stream.connect(server);
        beast::flat_buffer buffer;
        auto const tag = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
        auto const start = clock_type::now();
        for (std::size_t c = 0; c < changes; ++c) {
            std::this_thread::sleep_until(start + std::chrono::milliseconds{interval_ms} * static_cast<long>(c));
            auto const salon = watched[c % watched.size()];
            http::request<http::string_body> req{http::verb::post, "", 11};
            {
                std::scoped_lock lock{w.mutex};
                auto& s = w.salons[salon];
                req.target("/v1/salons/" + s.id + "/walk-ins");
                req.set(http::field::authorization, "Bearer " + s.token);
                // Timed on each screen: the first frame newer than any this salon's screens had seen before.
                s.pending = true;
                s.after_seq = s.last_seq;
                s.round = c + 1;
                s.posted = clock_type::now();
            }
            req.set(http::field::host, "127.0.0.1");
            req.set(http::field::content_type, "application/json");
            req.set("Idempotency-Key", fmt::format("ws-{}-{}", tag, c));
            req.body() = R"({"customer":{"name":"Live"},"services":["HC"]})";
            req.prepare_payload();
            auto const t0 = clock_type::now();
            beast::error_code ec;
            http::write(stream, req, ec);
            http::response<http::string_body> res;
            if (!ec) {
                http::read(stream, buffer, res, ec);
            }
            auto const t1 = clock_type::now();
            if (ec) {
                ++post_errors;
                fmt::print(stderr, "ws_bench: POST failed: {}\n", ec.message());
                break;
            }
            ++statuses[res.result_int()];
            post_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
            expected += w.salons[salon].screens;
        }
        std::this_thread::sleep_for(std::chrono::seconds{2}); // the last frames
    }
    std::vector<std::int64_t> lat;
    {
        std::scoped_lock lock{w.mutex};
        lat = w.latencies_ns;
    }
    std::sort(lat.begin(), lat.end());
    std::sort(post_ns.begin(), post_ns.end());
    fmt::print("ws changes: {} POSTs ({} errors) to {} salons, one every {} ms; statuses:", post_ns.size(), post_errors,
               watched.size(), interval_ms);
    for (auto const& [status, count] : statuses) {
        fmt::print(" {} x {}", status, count);
    }
    fmt::print("\n");
    fmt::print("ws frames timed: {} of {} expected ({} screens closed after opening)\n", lat.size(), expected,
               w.closed_later.load());
    fmt::print("ws change-to-client ms: p50 {:.2f} p90 {:.2f} p99 {:.2f} max {:.2f}\n", percentile_ms(lat, 0.50),
               percentile_ms(lat, 0.90), percentile_ms(lat, 0.99), percentile_ms(lat, 1.0));
    fmt::print("ws POST-to-201 ms: p50 {:.2f} p99 {:.2f}\n", percentile_ms(post_ns, 0.50),
               percentile_ms(post_ns, 0.99));
    std::fflush(stdout);
    std::_Exit(0); // the sockets close with the process; no orderly close of thousands of screens needed
}
