// The read side over HTTP (labels embedded, http): the queue with its ETag, a ticket, a customer's ticket link,
// and the live streams (WebSocket and Server-Sent Events): order, resume, and a slow screen that does not delay
// a fast one.

#include "api/auth/revocation.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_server.hpp"
#include "test/support/json_at.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <doctest/doctest.h>
#include <simdjson.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_views_test {

namespace {

using salonq::test::int_at;
using salonq::test::text_at;

using salonq::api::auth::role;
using salonq::test::http_client;
using salonq::test::http_fixture;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;

std::string const walk_in_body = R"({"customer":{"name":"Bo","phone":"+44 7700 900123"},"services":["HC"]})";

void open_salon_over_http(http_fixture const& server) {
    http_client admin{server.port(), server.admin_token()};
    REQUIRE(admin.request(bhttp::verb::put, "/v1/salons/s1", R"({"name":"Cuts","timezone":"Europe/London"})").status ==
            201);
    REQUIRE(admin
                .request(
                    bhttp::verb::patch, "/v1/salons/s1/config",
                    R"({"maxWaiting":2600,"services":[{"code":"HC","name":"Cut","priceCents":2000,"durationMin":30}]})")
                .status == 200);
    REQUIRE(admin.post("/v1/salons/s1/staff", R"({"staffId":"ana","name":"Ana","role":"owner"})").status == 201);
    REQUIRE(admin.post("/v1/salons/s1/staff/ana/clock-in", "").status == 200);
}

std::string gunzip(std::string const& in) {
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data())); // NOLINT: zlib's API is not const
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    auto const rc = inflate(&z, Z_FINISH);
    out.resize(z.total_out);
    inflateEnd(&z);
    CHECK(rc == Z_STREAM_END);
    return out;
}

// A WebSocket client of a salon's live route.
class live_client {
public:
    live_client(std::uint16_t port, std::string const& token, std::string const& after = {}) : ws_(ioc_) {
        net::ip::tcp::resolver resolver{ioc_};
        net::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
        auto target = "/v1/salons/s1/live?access_token=" + token + (after.empty() ? "" : "&after=" + after);
        ws_.handshake("127.0.0.1", target);
    }
    // The next frame's text, or empty after `limit`.
    std::string next(std::chrono::milliseconds limit = std::chrono::seconds{5}) {
        boost::beast::flat_buffer buffer;
        std::string out;
        bool done = false;
        ws_.async_read(buffer, [&](boost::beast::error_code ec, std::size_t) {
            done = true;
            if (!ec) {
                out = boost::beast::buffers_to_string(buffer.data());
            }
        });
        ioc_.restart();
        ioc_.run_for(limit);
        if (!done) { // give up the read (and the connection: an abandoned read leaves the stream unusable)
            boost::beast::get_lowest_layer(ws_).close();
            ioc_.restart();
            ioc_.run();
        }
        return out;
    }

    // Whether the server ends the stream within `limit` (frames before that are read and dropped).
    bool ends_within(std::chrono::milliseconds limit) {
        boost::beast::flat_buffer buffer;
        bool ended = false;
        std::function<void()> read = [&] {
            ws_.async_read(buffer, [&](boost::beast::error_code ec, std::size_t) {
                if (ec) {
                    ended = true;
                    return;
                }
                buffer.consume(buffer.size());
                read();
            });
        };
        read();
        ioc_.restart();
        ioc_.run_for(limit);
        bool const in_time = ended;
        if (!in_time) { // the read given up ends too (aborted): not the server's doing
            boost::beast::get_lowest_layer(ws_).close();
            ioc_.restart();
            ioc_.run();
        }
        return in_time;
    }

private:
    net::io_context ioc_;
    websocket::stream<net::ip::tcp::socket> ws_;
};

} // namespace

TEST_CASE("http views: the queue answers with its seq as ETag, 304 when unchanged, gzip when asked") {
    http_fixture server;
    open_salon_over_http(server);
    http_client pos{server.port(), server.token(role::pos, "s1")};
    for (int i = 0; i < 5; ++i) {
        REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
    }
    http_client board{server.port(), server.token(role::dashboard, "s1")};
    auto const q = board.get("/v1/salons/s1/queue");
    REQUIRE(q.status == 200);
    auto const seq = int_at(q.body, "/seq");
    CHECK(seq == 9);
    CHECK(q.header("ETag") == "\"9\"");
    CHECK(q.body.find("\"observed\"") == std::string::npos); // the learned pace (staff speeds) is not served
    CHECK(int_at(q.body, "/waiting/4/position") == 5);
    // A 30-minute haircut's median and its likely range, from the first walk-in's moment: the five walk-ins in a row
    // keep the line's starts, so the waits are counted down by the milliseconds since.
    auto const wait = int_at(q.body, "/waiting/1/estimatedWaitMs");
    CHECK(wait <= 1'671'300);
    CHECK(wait > 1'671'300 - 30'000); // a chain is at most 30 seconds long
    CHECK(int_at(q.body, "/waiting/1/estimatedWaitLowMs") == 1'039'140 - (1'671'300 - wait));
    CHECK(int_at(q.body, "/waiting/1/estimatedWaitHighMs") == 2'687'940 - (1'671'300 - wait));
    CHECK(q.body.find("+44") == std::string::npos); // a phone number never reaches a screen

    CHECK(board.get("/v1/salons/s1/queue", {{"If-None-Match", "\"9\""}}).status == 304);
    auto const zipped = board.get("/v1/salons/s1/queue", {{"Accept-Encoding", "gzip"}});
    CHECK(zipped.header("Content-Encoding") == "gzip");
    CHECK(gunzip(zipped.body) == q.body);

    REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
    CHECK(board.get("/v1/salons/s1/queue", {{"If-None-Match", "\"9\""}}).status == 200); // it changed

    CHECK(board.get("/v1/salons/nowhere/queue").status == 403); // not this token's salon
    http_client admin{server.port(), server.admin_token()};
    CHECK(admin.get("/v1/salons/nowhere/queue").status == 404);
}

TEST_CASE("http views: a ticket by id, and a customer's own ticket through its link without a token") {
    http_fixture server;
    open_salon_over_http(server);
    http_client pos{server.port(), server.token(role::pos, "s1")};
    (void)pos.post("/v1/salons/s1/walk-ins", walk_in_body);
    auto const issued = pos.post("/v1/salons/s1/walk-ins", walk_in_body);
    auto const link = text_at(issued.body, "/ticket/link");
    REQUIRE(link.starts_with("/v1/public/tickets/s1/2/"));

    auto const by_id = pos.get("/v1/salons/s1/tickets/2");
    CHECK(by_id.status == 200);
    CHECK(text_at(by_id.body, "/status") == "waiting");
    CHECK(int_at(by_id.body, "/position") == 2);
    CHECK(pos.get("/v1/salons/s1/tickets/99").status == 404);
    auto const not_a_number = pos.get("/v1/salons/s1/tickets/abc");
    CHECK(not_a_number.status == 400); // as the command routes answer a ticketId that is not a number
    CHECK(text_at(not_a_number.body, "/error/field") == "ticketId");

    http_client phone{server.port()};
    auto const mine = phone.get(link);
    CHECK(mine.status == 200);
    CHECK(int_at(mine.body, "/position") == 2);
    CHECK(mine.body.find("Bo") == std::string::npos); // nothing about any customer, itself included
    auto forged = link;
    forged.back() = forged.back() == 'A' ? 'B' : 'A';
    CHECK(phone.get(forged).status == 404);
    CHECK(phone.get("/v1/public/tickets/s1/1/" + link.substr(link.rfind('/') + 1)).status == 404); // another ticket

    // Called: the link says so.
    http_client admin{server.port(), server.admin_token()};
    REQUIRE(admin.post("/v1/salons/s1/tickets/2/start", R"({"staffId":"ana"})").status == 200);
    CHECK(text_at(phone.get(link).body, "/status") == "serving");
}

TEST_CASE("http live: a WebSocket gets the view, then every change in order; ?after resumes") {
    http_fixture server;
    open_salon_over_http(server);
    auto const token = server.token(role::dashboard, "s1");
    live_client live{server.port(), token};
    auto const first = live.next();
    CHECK(text_at(first, "/type") == "view");
    CHECK(int_at(first, "/seq") == 4);

    http_client pos{server.port(), server.token(role::pos, "s1")};
    for (int i = 0; i < 3; ++i) {
        auto const t0 = std::chrono::steady_clock::now();
        REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
        auto const frame = live.next(std::chrono::seconds{1});
        CHECK(int_at(frame, "/seq") == 5 + i);
        CHECK(int_at(frame, "/view/waiting/" + std::to_string(i) + "/position") == i + 1);
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds{1});
    }
    SUBCASE("resuming at the current seq sends nothing until the next change") {
        live_client resumed{server.port(), token, "7"};
        CHECK(resumed.next(std::chrono::milliseconds{300}).empty());
    }
    SUBCASE("resuming from an older seq sends the current view at once") {
        live_client resumed{server.port(), token, "5"};
        CHECK(int_at(resumed.next(), "/seq") == 7);
    }
}

TEST_CASE("http live: Server-Sent Events with ids, for EventSource") {
    http_fixture server;
    open_salon_over_http(server);
    http_client sse{server.port(), server.token(role::dashboard, "s1")};
    sse.send_raw("GET /v1/salons/s1/live HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer " +
                 server.token(role::dashboard, "s1") + "\r\nLast-Event-ID: 2\r\n\r\n");
    auto const head = sse.read_some_text(std::chrono::seconds{5}, "\n\n", 2);
    CHECK(head.find("HTTP/1.1 200") == 0);
    CHECK(head.find("Content-Type: text/event-stream") != std::string::npos);
    CHECK(head.find("id: 4\nevent: view\ndata: {") != std::string::npos);

    http_client pos{server.port(), server.token(role::pos, "s1")};
    REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
    auto const next = sse.read_some_text(std::chrono::seconds{2}, "\n\n", 1);
    CHECK(next.find("id: 5\nevent: view\n") == 0);
}

TEST_CASE("http live: an EventSource reconnecting to its ?after address resumes from its Last-Event-ID") {
    http_fixture server;
    open_salon_over_http(server); // seq 4
    auto const token = server.token(role::dashboard, "s1");
    // Opened at ?after=2, it got 3 and 4, then lost the connection: it comes back to the same address with the id of
    // the last event it got. Either way round, the later of the two is where it resumes: nothing until seq 5.
    for (auto const& [after, last_id] : {std::pair<std::string, std::string>{"2", "4"}, {"4", "2"}}) {
        CAPTURE(after);
        http_client sse{server.port(), token};
        sse.send_raw("GET /v1/salons/s1/live?after=" + after +
                     " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer " + token +
                     "\r\nLast-Event-ID: " + last_id + "\r\n\r\n");
        auto const head = sse.read_some_text(std::chrono::seconds{5}, "\r\n\r\n", 1);
        REQUIRE(head.find("HTTP/1.1 200") == 0);
        http_client pos{server.port(), server.token(role::pos, "s1")};
        REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
        auto const next = head + sse.read_some_text(std::chrono::seconds{5}, "event: view", 1);
        CHECK(next.find("id: 5\nevent: view\n") != std::string::npos);
        CHECK(next.find("id: 4\n") == std::string::npos); // not the last event it had, again
    }
}

TEST_CASE("http live: a stream ends once its token is revoked; another token's stream goes on") {
    http_fixture server;
    open_salon_over_http(server); // seq 4
    auto const revoked = server.issue(role::dashboard, "s1");
    live_client ws{server.port(), revoked.token};
    REQUIRE(int_at(ws.next(), "/seq") == 4);
    live_client other{server.port(), server.token(role::dashboard, "s1")};
    REQUIRE(int_at(other.next(), "/seq") == 4);
    http_client sse{server.port()};
    sse.send_raw("GET /v1/salons/s1/live HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer " +
                 revoked.token + "\r\n\r\n");
    REQUIRE(sse.read_some_text(std::chrono::seconds{5}, "event: view", 1).find("HTTP/1.1 200") == 0);

    auto list = salonq::api::auth::file_revocations::open(salonq::api::auth::default_revocations_path(server.data()));
    REQUIRE(list);
    REQUIRE((*list)->revoke(revoked.jti, revoked.expires, http_fixture::now()));
    auto const t0 = std::chrono::steady_clock::now();
    CHECK(ws.ends_within(std::chrono::seconds{5}));                       // the server checks about every second
    (void)sse.read_some_text(std::chrono::seconds{5}, "no such text", 1); // reads until the server closes it
    CHECK(sse.closed_by_server());
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds{5});

    http_client pos{server.port(), server.token(role::pos, "s1")};
    REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
    CHECK(int_at(other.next(), "/seq") == 5);
    http_client again{server.port(), revoked.token}; // a reconnect with it is refused
    auto const refused = again.get("/v1/salons/s1/live", {{"Accept", "text/event-stream"}});
    CHECK(refused.status == 401);
    CHECK(text_at(refused.body, "/error/code") == "token_revoked");
}

TEST_CASE("http live: a screen that stops reading does not delay the others") {
    http_fixture server;
    open_salon_over_http(server);
    auto const token = server.token(role::dashboard, "s1");
    live_client slow{server.port(), token}; // never reads after the handshake
    live_client fast{server.port(), token};
    CHECK(int_at(fast.next(), "/seq") == 4);
    http_client pos{server.port(), server.token(role::pos, "s1")};
    // Enough changes (each frame a growing view) to fill the slow socket's buffers many times over.
    for (int i = 0; i < 400; ++i) {
        REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
    }
    // The fast screen reaches the last change promptly, whatever it skipped on the way.
    std::int64_t seen = 0;
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
    while (seen < 404 && std::chrono::steady_clock::now() < deadline) {
        auto const frame = fast.next(std::chrono::seconds{2});
        if (frame.empty()) {
            break;
        }
        auto const seq = int_at(frame, "/seq");
        CHECK(seq > seen); // in order, never a step back
        seen = seq;
    }
    CHECK(seen == 404);
}

// A screen that opens its WebSocket and never reads: a small receive buffer, so that the server's socket buffer
// fills (and its write stops) sooner.
websocket::stream<net::ip::tcp::socket> deaf_screen(net::io_context& io, std::uint16_t port, std::string const& token) {
    websocket::stream<net::ip::tcp::socket> deaf{io};
    deaf.next_layer().open(net::ip::tcp::v4());
    deaf.next_layer().set_option(net::socket_base::receive_buffer_size{4096});
    deaf.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
    deaf.handshake("127.0.0.1", "/v1/salons/s1/live?access_token=" + token);
    return deaf;
}

// The server's count of live streams (its /metrics), -1 if not there.
double live_connections(http_client& admin) {
    auto const body = admin.get("/metrics").body;
    auto const at = body.find("\nsalonq_live_connections ");
    return at == std::string::npos ? -1.0 : std::stod(body.substr(at + 25));
}

TEST_CASE("http live: a WebSocket peer that sends but never reads is closed past the write timeout") {
    auto options = salonq::test::unlimited();
    options.write_timeout = std::chrono::milliseconds{300};
    http_fixture server{options};
    open_salon_over_http(server);
    auto const token = server.token(role::dashboard, "s1");
    net::io_context io;
    auto deaf = deaf_screen(io, server.port(), token);
    live_client fast{server.port(), token};
    CHECK(int_at(fast.next(), "/seq") == 4);
    std::atomic<std::int64_t> fast_seen{4};
    std::thread reading{[&] { // the screen that reads, all along
        for (auto frame = fast.next(std::chrono::milliseconds{1500}); !frame.empty();
             frame = fast.next(std::chrono::milliseconds{1500})) {
            fast_seen = int_at(frame, "/seq");
        }
    }};
    http_client pos{server.port(), server.token(role::pos, "s1")};
    http_client admin{server.port(), server.admin_token()};
    auto const live_streams = [&] { return live_connections(admin); };
    CHECK(live_streams() == 2);
    // A change every few ms (each frame the whole, growing view) until the deaf one's socket buffers are full and it
    // is closed: ~200 changes, 1.6 s, here.
    std::int64_t seq = 4;
    double open = 2;
    for (int i = 0; i < 1200 && open == 2; ++i) { // (the line holds fewer than 1,300: 409 line_full then)
        auto const posted = pos.post("/v1/salons/s1/walk-ins", walk_in_body).status;
        CHECK(posted == 201);
        seq += posted == 201 ? 1 : 0;
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
        if (i % 20 == 0) {
            boost::beast::error_code ignored; // (once the server has closed it, a ping fails)
            deaf.ping({}, ignored);           // never idle: it talks, it just does not read
            open = live_streams();
        }
    }
    CHECK(open == 1);
    reading.join();
    CHECK(fast_seen == seq); // the reading screen was never dropped, and has the last change
}

TEST_CASE("http live: a peer that stopped reading is closed by the sweep when no change follows") {
    auto options = salonq::test::unlimited();
    options.write_timeout = std::chrono::milliseconds{3000};
    http_fixture server{options};
    open_salon_over_http(server);
    auto const token = server.token(role::dashboard, "s1");
    net::io_context io;
    auto deaf = deaf_screen(io, server.port(), token);
    http_client admin{server.port(), server.admin_token()};
    auto const live_streams = [&] { return live_connections(admin); };
    CHECK(live_streams() == 1);
    // A change every few ms, for less than the write timeout (each frame the whole, growing view: megabytes in
    // all), fills the deaf one's socket buffers; then the salon goes quiet: no change comes to find its write stuck.
    http_client pos{server.port(), server.token(role::pos, "s1")};
    auto const burst_began = std::chrono::steady_clock::now();
    for (int i = 0; i < 300; ++i) {
        REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
        std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
    auto const burst = std::chrono::steady_clock::now() - burst_began;
    MESSAGE("burst of 300 walk-ins: ", std::chrono::duration_cast<std::chrono::milliseconds>(burst).count(), " ms");
    double open = live_streams();
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds{8}; // the timeout and a sweep
    while (open == 1 && std::chrono::steady_clock::now() < deadline) {
        boost::beast::error_code ignored;
        deaf.ping({}, ignored); // never idle: it talks, it just does not read
        std::this_thread::sleep_for(std::chrono::milliseconds{200});
        open = live_streams();
    }
    MESSAGE(
        "closed ",
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - burst_began).count(),
        " ms after the burst began");
    CHECK(open == 0);
}

TEST_CASE("http live: past --max-live-streams a new stream is 503 too_many_streams; a closed one frees its place") {
    auto options = salonq::test::unlimited();
    options.max_live_streams = 2;
    http_fixture server{options};
    open_salon_over_http(server);
    auto const token = server.token(role::dashboard, "s1");
    auto first = std::make_unique<live_client>(server.port(), token);
    CHECK(int_at(first->next(), "/seq") == 4);
    live_client second{server.port(), token}; // the two kinds count together
    CHECK(int_at(second.next(), "/seq") == 4);
    bool ws_refused = false;
    try {
        live_client third{server.port(), token};
    } catch (std::exception const&) {
        ws_refused = true;
    }
    REQUIRE(ws_refused); // (else the event stream below would be accepted, and never end)
    http_client c{server.port(), token};
    auto const refused = c.get("/v1/salons/s1/live", {{"Accept", "text/event-stream"}});
    CHECK(refused.status == 503);
    CHECK(text_at(refused.body, "/error/code") == "too_many_streams");
    CHECK(refused.header("Retry-After") == "5");

    first.reset(); // its place comes back once the server sees it gone
    std::unique_ptr<live_client> third;
    for (int i = 0; i < 100 && !third; ++i) {
        try {
            third = std::make_unique<live_client>(server.port(), token);
        } catch (std::exception const&) {
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
        }
    }
    REQUIRE(third);
    CHECK(int_at(third->next(), "/seq") == 4);
}

TEST_CASE("http live: a plain GET is told how to ask for a stream; an unknown salon is 404") {
    http_fixture server;
    open_salon_over_http(server);
    http_client admin{server.port(), server.admin_token()};
    auto const plain = admin.get("/v1/salons/s1/live");
    CHECK(plain.status == 400);
    CHECK(text_at(plain.body, "/error/code") == "stream_required");
    auto const unknown = admin.get("/v1/salons/nowhere/live", {{"Accept", "text/event-stream"}});
    CHECK(unknown.status == 404);
    // A resume point that is not a seq is refused by name, even a Last-Event-ID that ?after overrides.
    struct bad {
        std::string target;
        std::string last_event_id;
        char const* field;
    };
    for (auto const& b : {bad{"/v1/salons/s1/live?after=-1", "", "after"},
                          bad{"/v1/salons/s1/live?after=12345678901234567890", "", "after"},
                          bad{"/v1/salons/s1/live?after=0", "x", "Last-Event-ID"},
                          bad{"/v1/salons/s1/live", "12345678901234567890", "Last-Event-ID"}}) {
        CAPTURE(b.target);
        salonq::test::header_list headers{{"Accept", "text/event-stream"}};
        if (!b.last_event_id.empty()) {
            headers.emplace_back("Last-Event-ID", b.last_event_id);
        }
        auto const refused = admin.get(b.target, headers);
        CHECK(refused.status == 400);
        CHECK(text_at(refused.body, "/error/field") == b.field);
    }
}

TEST_CASE("http views: a salon's events page by page, and its priority audit") {
    http_fixture server;
    open_salon_over_http(server); // seq 1..4
    http_client pos{server.port(), server.token(role::pos, "s1")};
    for (int i = 0; i < 5; ++i) {
        REQUIRE(pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201); // seq 5..9
    }
    http_client owner{server.port(), server.token(role::owner, "s1", "ana")};
    REQUIRE(owner.post("/v1/salons/s1/tickets/3/start-priority", R"({"staffId":"ana","reason":"medical_urgency"})")
                .status == 200); // seq 10

    http_client analyst{server.port(), server.token(role::analyst, "s1")};
    auto const first = analyst.get("/v1/salons/s1/events?limit=4");
    REQUIRE(first.status == 200);
    CHECK(int_at(first.body, "/events/0/seq") == 1);
    CHECK(int_at(first.body, "/events/3/seq") == 4);
    CHECK(int_at(first.body, "/nextAfter") == 4);
    CHECK(first.header("Link") == R"(</v1/salons/s1/events?after=4&limit=4>; rel="next")");
    auto const rest = analyst.get("/v1/salons/s1/events?after=4&limit=1000");
    CHECK(int_at(rest.body, "/events/0/seq") == 5);
    CHECK(int_at(rest.body, "/events/5/seq") == 10);
    CHECK(int_at(rest.body, "/nextAfter") == -1); // the last page has no cursor
    CHECK(analyst.get("/v1/salons/s1/events?limit=1001").status == 400);
    CHECK(analyst.get("/v1/salons/s1/events?after=x").status == 400);

    auto const audit = analyst.get("/v1/salons/s1/priority-log");
    REQUIRE(audit.status == 200);
    CHECK(text_at(audit.body, "/priorityStarts/0/type") == "priority_started");
    CHECK(text_at(audit.body, "/priorityStarts/0/payload/reason") == "medical_urgency");
    CHECK(int_at(audit.body, "/priorityStarts/0/payload/positionBefore") == 3);
    CHECK(text_at(audit.body, "/priorityStarts/1/type") == "<none>");

    CHECK(pos.get("/v1/salons/s1/events").status == 403); // a terminal does not read the history
}

namespace {

std::size_t waiting_count(std::string const& queue) {
    simdjson::dom::parser parser;
    simdjson::dom::array waiting;
    return parser.parse(queue)["waiting"].get(waiting) == simdjson::SUCCESS ? waiting.size() : 0;
}

} // namespace

TEST_CASE("http admin: the queue views rebuilt while walk-ins go on; every read answers all along") {
    http_fixture server;
    open_salon_over_http(server);
    http_client admin{server.port(), server.admin_token()};
    for (int i = 0; i < 20; ++i) {
        REQUIRE(admin.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201);
    }
    auto listed = admin.get("/v1/admin/projections");
    REQUIRE(listed.status == 200);
    CHECK(text_at(listed.body, "/projections/0/state") == "idle");
    CHECK(text_at(listed.body, "/projections/0/directory") == "views");

    std::atomic<bool> done{false};
    std::atomic<int> bad_reads{0};
    std::atomic<int> posted{20};
    std::thread traffic{[&] {
        http_client pos{server.port(), server.token(role::pos)};
        http_client board{server.port(), server.token(role::dashboard)};
        while (!done.load()) {
            if (posted.load() < 60 && pos.post("/v1/salons/s1/walk-ins", walk_in_body).status == 201) {
                ++posted;
            }
            auto const q = board.get("/v1/salons/s1/queue");
            if (q.status != 200 || waiting_count(q.body) < 20) {
                ++bad_reads;
            }
        }
    }};
    auto started = admin.post("/v1/admin/projections/views/rebuild", "");
    CHECK(started.status == 202);
    CHECK(text_at(started.body, "/projections/0/state") == "running");
    std::string state;
    for (int i = 0; i < 200 && state != "done" && state != "failed"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
        listed = admin.get("/v1/admin/projections");
        state = text_at(listed.body, "/projections/0/state");
    }
    done = true;
    traffic.join();
    REQUIRE(state == "done");
    CHECK(text_at(listed.body, "/projections/0/directory") == "views.1");
    CHECK(int_at(listed.body, "/projections/0/read") == int_at(listed.body, "/projections/0/total"));
    CHECK(int_at(listed.body, "/projections/0/total") > 20);
    CHECK(bad_reads == 0);
    auto const queue = admin.get("/v1/salons/s1/queue");
    CHECK(waiting_count(queue.body) == static_cast<std::size_t>(posted.load())); // nothing lost on the way

    auto unknown = admin.post("/v1/admin/projections/nope/rebuild", "");
    CHECK(unknown.status == 404);
    CHECK(text_at(unknown.body, "/error/field") == "name");
    http_client manager{server.port(), server.token(role::manager, "s1", "ana")};
    CHECK(manager.post("/v1/admin/projections/views/rebuild", "").status == 403);
    CHECK(manager.get("/v1/admin/projections").status == 403);
}

} // namespace http_views_test
