// More live screens than the server has file descriptors (labels embedded, http): `salonq serve` runs under an
// open-file limit of 256 (it uses ~70 itself) and holds 700 WebSockets, or 400 SSE streams, which live in its
// io_uring tables (docs/live-rings.md). Every screen gets the view, then each change; plain requests still work
// beside them; screens that close give their places back, and new ones take them. Skipped, with a message, on a
// kernel without io_uring (serve then holds a descriptor per screen).

#include "api/uring/rings.hpp"
#include "test/support/http_client.hpp"
#include "test/support/json_at.hpp"
#include "test/support/serve_process.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace live_rings_test {

namespace {

using salonq::test::http_client;
using salonq::test::int_at;
using salonq::test::piped_process;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;

constexpr std::size_t screen_count = 700;

using screen = websocket::stream<beast::tcp_stream>;

// Screens of salon s1, driven together on one io_context with a time limit on each step.
class screens {
public:
    screens(std::uint16_t port, std::string token) : port_(port), token_(std::move(token)) {}

    // Opens n more, 100 at a time; how many completed the handshake within the limit. In batches: a connection
    // takes a descriptor of the server's until its upgrade, and a server out of descriptors makes the sanitizers'
    // own checks fail (they open a pipe to probe memory).
    std::size_t open(std::size_t n) {
        std::size_t opened = 0;
        for (std::size_t done = 0; done < n; done += batch) {
            opened += open_batch(std::min(batch, n - done));
        }
        return opened;
    }

    std::size_t open_batch(std::size_t n) {
        std::size_t opened = 0;
        std::vector<std::unique_ptr<screen>> more;
        for (std::size_t i = 0; i < n; ++i) {
            auto& ws = *more.emplace_back(std::make_unique<screen>(io_));
            net::ip::tcp::endpoint const server{net::ip::make_address("127.0.0.1"), port_};
            beast::get_lowest_layer(ws).async_connect(server, [this, &ws, &opened](beast::error_code ec) {
                if (!ec) {
                    ws.async_handshake("127.0.0.1", "/v1/salons/s1/live?access_token=" + token_,
                                       [&opened](beast::error_code e) { opened += e ? 0 : 1; });
                }
            });
        }
        io_.restart();
        io_.run_for(std::chrono::seconds{30});
        for (auto& ws : more) {
            open_.push_back(std::move(ws));
        }
        return opened;
    }

    // One frame from every open screen: each one's seq (0: none came within the limit).
    std::vector<std::int64_t> next_frames() {
        std::vector<std::int64_t> seqs(open_.size(), 0);
        std::vector<beast::flat_buffer> buffers(open_.size());
        for (std::size_t i = 0; i < open_.size(); ++i) {
            open_[i]->async_read(buffers[i], [&seqs, &buffers, i](beast::error_code ec, std::size_t) {
                if (!ec) {
                    seqs[i] = int_at(beast::buffers_to_string(buffers[i].data()), "/seq");
                }
            });
        }
        io_.restart();
        io_.run_for(std::chrono::seconds{20});
        return seqs;
    }

    // Closes the first n screens with the close handshake.
    void close(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            open_[i]->async_close(websocket::close_code::normal, [](beast::error_code) {});
        }
        io_.restart();
        io_.run_for(std::chrono::seconds{10});
        open_.erase(open_.begin(), open_.begin() + static_cast<std::ptrdiff_t>(n));
    }

    [[nodiscard]] std::size_t size() const noexcept { return open_.size(); }

    static constexpr std::size_t batch = 100;

private:
    net::io_context io_;
    std::uint16_t port_;
    std::string token_;
    std::vector<std::unique_ptr<screen>> open_;
};

std::size_t with_seq(std::vector<std::int64_t> const& seqs, std::int64_t seq) {
    return static_cast<std::size_t>(std::count(seqs.begin(), seqs.end(), seq));
}

double metric(http_client& c, std::string const& name) {
    auto const body = c.get("/metrics").body;
    auto const at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(body.substr(at + name.size() + 2));
}

// `salonq serve` under an open-file limit of 256, with salon s1 (a service, no staff yet: seq 2).
struct limited_server {
    salonq::test::temp_dir dir;
    std::string admin = salonq::test::admin_token(dir / "data");
    piped_process serve{limited_argv(dir / "data")};
    std::uint16_t port = salonq::test::start_serve(serve);
    http_client client{port, admin};

    limited_server() {
        REQUIRE(
            client.request(bhttp::verb::put, "/v1/salons/s1", R"({"name":"Cuts","timezone":"Europe/London"})").status ==
            201);
        REQUIRE(client
                    .request(bhttp::verb::patch, "/v1/salons/s1/config",
                             R"({"services":[{"code":"HC","name":"Cut","priceCents":2000,"durationMin":30}]})")
                    .status == 200);
    }

    static std::vector<std::string> limited_argv(std::string const& data) {
        auto argv = salonq::test::serve_argv(data);
        argv.insert(argv.begin(), {"/usr/bin/prlimit", "--nofile=256:256", "--"});
        return argv;
    }
};

// An EventSource's connection; each read has a time limit (a frame that never comes is an empty string).
class event_stream {
public:
    event_stream(net::io_context& io, std::uint16_t port, std::string const& token) : io_(io), socket_(io) {
        socket_.connect({net::ip::make_address("127.0.0.1"), port});
        net::write(socket_, net::buffer("GET /v1/salons/s1/live HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                                        "Authorization: Bearer " +
                                        token + "\r\n\r\n"));
    }
    // The text up to the next blank line: the response head ("\r\n\r\n"), an event or a heartbeat.
    std::string next(std::string const& end = "\n\n") {
        std::string out;
        net::async_read_until(socket_, net::dynamic_buffer(buffer_), end,
                              [this, &out](boost::system::error_code ec, std::size_t n) {
                                  if (!ec) {
                                      out = buffer_.substr(0, n);
                                      buffer_.erase(0, n);
                                  }
                              });
        io_.restart();
        io_.run_for(std::chrono::seconds{10});
        if (out.empty()) { // give the read up, and the connection with it
            boost::system::error_code ignored;
            (void)socket_.close(ignored); // the error is in `ignored`
            io_.restart();
            io_.run();
        }
        return out;
    }

private:
    net::io_context& io_;
    net::ip::tcp::socket socket_;
    std::string buffer_;
};

// Whether this kernel lets a process open an io_uring with a file table (not where io_uring is disabled or too
// old): where it does not, serve falls back to a descriptor per screen, and these tests have nothing to show.
bool kernel_has_rings() {
    static bool const has = [] {
        auto probe = salonq::uring::rings::open(16);
        if (!probe) {
            MESSAGE("no io_uring here (" << probe.error() << "): the live rings tests are skipped");
        }
        return probe.has_value();
    }();
    return has;
}

} // namespace

TEST_CASE("live rings: Server-Sent Events are held in the rings too") {
    if (!kernel_has_rings()) {
        return;
    }
    limited_server server;
    net::io_context io;
    std::vector<std::unique_ptr<event_stream>> streams;
    for (std::size_t i = 0; i < 400; ++i) {
        auto& s = *streams.emplace_back(std::make_unique<event_stream>(io, server.port, server.admin));
        INFO("stream ", i);
        REQUIRE(s.next("\r\n\r\n").starts_with("HTTP/1.1 200"));
        REQUIRE(s.next().starts_with("id: 2\nevent: view\n"));
    }
    CHECK(metric(server.client, "salonq_live_ring_sockets") == 400);
    REQUIRE(server.client.post("/v1/salons/s1/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})").status ==
            201);
    std::size_t told = 0;
    for (auto& s : streams) {
        told += s->next().starts_with("id: 3\nevent: view\n") ? 1 : 0;
    }
    CHECK(told == 400);
}

TEST_CASE("live rings: a server with 256 descriptors holds 700 WebSockets, and each gets every change") {
    if (!kernel_has_rings()) {
        return;
    }
    limited_server server;
    auto const port = server.port;
    auto& c = server.client;
    auto const& admin = server.admin;
    std::int64_t seq = 2;

    screens tv{port, admin};
    REQUIRE(tv.open(screen_count) == screen_count);
    CHECK(with_seq(tv.next_frames(), seq) == screen_count); // the view
    CHECK(metric(c, "salonq_live_ring_sockets") == static_cast<double>(screen_count));

    for (int change = 0; change < 3; ++change) {
        REQUIRE(c.post("/v1/salons/s1/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})").status == 201);
        ++seq;
        CHECK(with_seq(tv.next_frames(), seq) == screen_count);
    }
    CHECK(c.get("/v1/salons/s1/queue").status == 200); // plain requests beside them

    SUBCASE("screens that close give their places back") {
        tv.close(screen_count / 2);
        for (int i = 0; i < 100 && metric(c, "salonq_live_ring_sockets") != screen_count / 2.0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
        }
        CHECK(metric(c, "salonq_live_ring_sockets") == screen_count / 2.0);
        REQUIRE(tv.open(screen_count / 2) == screen_count / 2);
        REQUIRE(c.post("/v1/salons/s1/walk-ins", R"({"customer":{"name":"Cy"},"services":["HC"]})").status == 201);
        ++seq;
        auto const seqs = tv.next_frames();
        // The new screens get the view at seq and then the change; the others the change alone.
        CHECK(with_seq(seqs, seq) + with_seq(seqs, seq - 1) == screen_count);
    }
    SUBCASE("a stopped server closes them and exits 0") {
        server.serve.kill(SIGTERM);
        CHECK(server.serve.wait() == 0);
    }
}

} // namespace live_rings_test
