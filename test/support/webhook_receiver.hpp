#pragma once

// A webhook receiver on a free loopback port, for the notifier's tests: answers each POST as its mode says (2xx,
// 500, or too late), after checking X-Salonq-Signature with the secret it was given, and records what it took. A
// thread per connection, as a real receiver would have: one stalled request does not hold up the next.

#include "notify/deliver/payload.hpp"
#include "notify/deliver/signature.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace salonq::test {

class receiver {
    using milliseconds = std::chrono::milliseconds;

public:
    enum class mode : std::uint8_t { ok, fail, stall };

    // On `address` (an IPv6 one too: "::1").
    explicit receiver(std::string secret, std::string const& address = "127.0.0.1")
        : secret_(std::move(secret)), acceptor_(ioc_, {boost::asio::ip::make_address(address), 0}) {
        thread_ = std::thread([this] { serve(); });
    }
    ~receiver() {
        stopping_ = true;
        boost::beast::error_code ignored;
        boost::asio::ip::tcp::socket poke{ioc_};
        (void)poke.connect(acceptor_.local_endpoint(), ignored);
        thread_.join();
        for (auto& t : connections_) {
            t.join();
        }
    }
    receiver(receiver const&) = delete;
    receiver& operator=(receiver const&) = delete;

    void set(mode m) { mode_ = m; }
    // How long each answer takes in mode ok (a receiver with work to do, so deliveries are in flight a while).
    void set_delay(milliseconds d) { delay_ = d; }
    [[nodiscard]] std::string url() const {
        auto const at = acceptor_.local_endpoint();
        auto const host = at.address().is_v6() ? "[" + at.address().to_string() + "]" : at.address().to_string();
        return "http://" + host + ":" + std::to_string(at.port()) + "/hooks/salonq";
    }
    // Ids answered 2xx, in order, with their attempt numbers; every request seen; signatures refused.
    struct taken {
        std::vector<std::string> ok;
        std::map<std::string, int> requests;
        int bad_signatures = 0;
        std::vector<std::string> headers; // each request's X-Salonq-Signature
        std::vector<std::string> hosts;   // and its Host
        std::vector<notify::notification> notifications;
    };
    [[nodiscard]] taken seen() const {
        std::lock_guard lock{mutex_};
        return taken_;
    }
    // Waits until `n` distinct ids were answered 2xx (or the time is up).
    bool wait_ok(std::size_t n, milliseconds limit = milliseconds{15'000}) const {
        auto const until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            if (seen().ok.size() >= n) {
                return true;
            }
            std::this_thread::sleep_for(milliseconds{20});
        }
        return false;
    }

private:
    void serve() {
        while (!stopping_) {
            boost::asio::ip::tcp::socket socket{ioc_};
            boost::beast::error_code ec;
            (void)acceptor_.accept(socket, ec);
            if (ec || stopping_) {
                continue;
            }
            connections_.emplace_back([this, s = std::move(socket)]() mutable {
                boost::beast::error_code rec;
                boost::beast::flat_buffer buffer;
                boost::beast::http::request<boost::beast::http::string_body> req;
                boost::beast::http::read(s, buffer, req, rec);
                if (rec) {
                    return;
                }
                boost::beast::http::response<boost::beast::http::string_body> res{answer(req), 11};
                res.prepare_payload();
                boost::beast::http::write(s, res, rec);
            });
        }
    }

    boost::beast::http::status answer(boost::beast::http::request<boost::beast::http::string_body> const& req) {
        auto const now =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        if (mode_ == mode::stall) {
            std::this_thread::sleep_for(milliseconds{600}); // past the notifier's 300 ms deadline
            return boost::beast::http::status::ok;
        }
        std::this_thread::sleep_for(delay_.load());
        std::lock_guard lock{mutex_};
        auto const id = std::string{req["Idempotency-Key"]};
        ++taken_.requests[id];
        taken_.headers.push_back(std::string{req["X-Salonq-Signature"]});
        taken_.hosts.push_back(std::string{req[boost::beast::http::field::host]});
        if (notify::verify_signature(secret_, req["X-Salonq-Signature"], req.body(), now) !=
            notify::signature_check::ok) {
            ++taken_.bad_signatures;
            return boost::beast::http::status::unauthorized;
        }
        if (mode_ == mode::fail) {
            return boost::beast::http::status::internal_server_error;
        }
        if (auto n = notify::decode_notification(req.body()); n && n->id == id) {
            taken_.notifications.push_back(*n);
        }
        taken_.ok.push_back(id);
        return boost::beast::http::status::no_content;
    }

    std::string secret_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::atomic<bool> stopping_{false};
    std::atomic<mode> mode_{mode::ok};
    std::atomic<milliseconds> delay_{milliseconds{0}};
    mutable std::mutex mutex_;
    taken taken_;
    std::vector<std::thread> connections_;
    std::thread thread_;
};

} // namespace salonq::test
