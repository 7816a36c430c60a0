#include "api/http/server.hpp"

#include "api/http/session.hpp"
#include "api/http/shared_state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

namespace salonq::api::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct server::impl {
    impl(server_options o, services& ports, std::span<route const> routes)
        : options(std::move(o)),
          threads(options.threads > 0 ? options.threads
                                      : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))),
          state(options, ports, routes), ioc(threads), acceptor(ioc), drain_timer(ioc), signals(ioc) {}

    server_options options;
    int threads;
    // Before ioc, so destroyed after it: a stop at the drain deadline leaves handlers that hold sessions, and the
    // io_context destroys them, and each session leaves the state as it goes.
    shared_state state;
    net::io_context ioc;
    // After ioc (so destroyed before it: the operations it abandons hold work on ioc).
    std::unique_ptr<uring::rings> rings;
    tcp::acceptor acceptor;
    net::steady_timer drain_timer;
    net::steady_timer housekeeping{ioc};
    decision_deadlines deadlines{ioc.get_executor()};
    net::steady_timer accept_pause{ioc}; // only the acceptor's chain of operations touches it
    std::chrono::steady_clock::time_point last_accept_warning{};
    std::uint64_t accept_failures = 0;
    net::signal_set signals;
    std::atomic<bool> stopping{false};
    std::chrono::steady_clock::time_point drain_deadline{};

    void accept() {
        acceptor.async_accept(net::make_strand(ioc), [this](boost::system::error_code ec, tcp::socket socket) {
            if (ec) {
                if (acceptor.is_open() && ec != net::error::operation_aborted) {
                    accept_later(ec);
                }
                return;
            }
            auto s = std::make_shared<session>(std::move(socket), state);
            s->run(!state.join(s));
            accept();
        });
    }

    // Once a second: the authenticator re-reads revocations and a rotated keyring, and the live streams whose token
    // no longer holds end (a request with it would be refused now), as do those whose peer stopped reading.
    void keep_house() {
        housekeeping.expires_after(std::chrono::seconds{1});
        housekeeping.async_wait([this](boost::system::error_code ec) {
            if (ec || stopping) {
                return;
            }
            auto& ports = state.ports();
            if (auto refreshed = ports.auth.refresh(); !refreshed) {
                ports.log.warn("auth refresh: {}", refreshed.error().message);
            }
            if (ports.live != nullptr) {
                auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
                auto const ended = ports.live->sweep(
                    [&](auth::token_lease const& lease) { return !ports.auth.still_valid(lease, now); },
                    std::chrono::steady_clock::now());
                if (ended.lapsed > 0) {
                    ports.log.info("ended {} live streams: their token was revoked, expired or its key retired",
                                   ended.lapsed);
                }
                if (ended.stuck > 0) {
                    ports.log.info("ended {} live streams: their peer stopped reading", ended.stuck);
                }
            }
            keep_house();
        });
    }

    // An accept that failed (out of file descriptors, most often) is tried again after a pause rather than at
    // once, which would spin a core and flood the log; one warning a second says why.
    void accept_later(boost::system::error_code const& ec) {
        auto const now = std::chrono::steady_clock::now();
        ++accept_failures;
        if (now - last_accept_warning >= std::chrono::seconds{1}) {
            state.ports().log.warn("accept failed ({} times since the last warning): {}", accept_failures,
                                   ec.message());
            last_accept_warning = now;
            accept_failures = 0;
        }
        accept_pause.expires_after(std::chrono::milliseconds{50});
        accept_pause.async_wait([this](boost::system::error_code wait_ec) {
            if (!wait_ec && acceptor.is_open()) {
                accept();
            }
        });
    }

    void begin_stop() {
        if (stopping.exchange(true)) {
            return;
        }
        net::post(ioc, [this] {
            boost::system::error_code ignored;
            (void)acceptor.close(ignored); // the error is in `ignored` (the return value is the same)
            (void)signals.cancel(ignored);
            housekeeping.cancel();
            accept_pause.cancel();
            state.shut_down_all();
            if (auto* live = state.ports().live) {
                live->close_all();
            }
            drain_deadline = std::chrono::steady_clock::now() + options.drain_timeout;
            watch_drain();
        });
    }

    // Until every session and live stream has gone (its last response written, its socket closed) or the drain
    // deadline passes.
    void watch_drain() {
        auto const* live = state.ports().live;
        auto const open = state.open_sessions() + (live != nullptr ? live->connections() : 0);
        if (open == 0) {
            deadlines.stop(); // the answered POSTs' deadlines: nobody is left to tell
            return;           // nothing left: run() returns once the threads are out of work
        }
        if (std::chrono::steady_clock::now() >= drain_deadline) {
            state.ports().log.warn("{} connections still open after the drain timeout: closing them", open);
            ioc.stop();
            return;
        }
        state.shut_down_all(); // a session accepted just before the acceptor closed
        drain_timer.expires_after(std::chrono::milliseconds{20});
        drain_timer.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                watch_drain();
            }
        });
    }
};

server::server(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
server::~server() = default;

std::expected<std::unique_ptr<server>, std::string> server::open(server_options options, services& ports,
                                                                 std::span<route const> routes) {
    auto i = std::make_unique<impl>(std::move(options), ports, routes);
    ports.deadlines = &i->deadlines;
    if (i->options.live_rings) {
        if (auto opened = uring::rings::open()) {
            i->rings = std::move(*opened);
            i->state.use_rings(i->rings.get());
            ports.metrics.gauge("salonq_live_ring_sockets",
                                "Live connections held in io_uring tables (no file descriptor each).",
                                [rings = i->rings.get()] { return static_cast<double>(rings->held()); });
        } else {
            ports.log.warn("live WebSockets get a file descriptor each: no io_uring ({})", opened.error());
        }
    }
    ports.metrics.gauge("salonq_http_connections", "Open HTTP connections.",
                        [state = &i->state] { return static_cast<double>(state->open_sessions()); });
    boost::system::error_code ec;
    auto const address = net::ip::make_address(i->options.address, ec);
    if (ec) {
        return std::unexpected("'" + i->options.address + "' is not an IP address");
    }
    tcp::endpoint const endpoint{address, i->options.port};
    // Each call also returns the error it stores in `ec`.
    if ((void)i->acceptor.open(endpoint.protocol(), ec); !ec) {
        (void)i->acceptor.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        (void)i->acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        (void)i->acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return std::unexpected(
            fmt::format("cannot listen on {}:{}: {}", i->options.address, i->options.port, ec.message()));
    }
    return std::unique_ptr<server>(new server(std::move(i)));
}

std::uint16_t server::port() const noexcept {
    boost::system::error_code ec;
    auto const endpoint = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

void server::run(bool on_signals, std::function<void()> const& serving) {
    auto& i = *impl_;
    if (on_signals) {
        i.signals.add(SIGINT);
        i.signals.add(SIGTERM);
        i.signals.async_wait([this](boost::system::error_code ec, int) {
            if (!ec) {
                stop();
            }
        });
    }
    if (serving) {
        serving();
    }
    i.accept();
    i.keep_house();
    std::vector<std::thread> pool;
    for (int t = 1; t < i.threads; ++t) {
        pool.emplace_back([&i] {
            ::pthread_setname_np(::pthread_self(), "salonq-http"); // named for perf and top -H
            i.ioc.run();
        });
    }
    i.ioc.run();
    for (auto& t : pool) {
        t.join();
    }
}

void server::stop() { impl_->begin_stop(); }

} // namespace salonq::api::http
