#include "api/http/session.hpp"

#include "api/http/dispatch.hpp"
#include "api/http/error.hpp"
#include "api/http/headers.hpp"
#include "api/http/live/sse_session.hpp"
#include "api/http/live/ws_session.hpp"
#include "engine/codec/json_reader.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <charconv>
#include <expected>
#include <sstream>

namespace salonq::api::http {
namespace {

// A seq as a stream's resume point takes: 1 to 19 digits (so it fits).
std::optional<std::uint64_t> seq_of(std::string_view text) {
    constexpr std::size_t max_digits = 19;
    std::uint64_t seq = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty() || text.size() > max_digits) {
        return std::nullopt;
    }
    return seq;
}

// Where a stream resumes: the later of ?after=SEQ and EventSource's Last-Event-ID (an empty one is none), else 0
// (from the current view on); or the name of the one that is not a seq. Both say "I have up to here": an EventSource
// opened at ?after=100 reconnects to that same address with the id of the last event it got, and resuming from 100
// would send that event again.
[[nodiscard]] std::expected<std::uint64_t, std::string_view> resume_point(request const& req) {
    auto const header = req.header("Last-Event-ID");
    auto const from_header = header.empty() ? std::optional<std::uint64_t>{0} : seq_of(header);
    if (!from_header) {
        return std::unexpected("Last-Event-ID");
    }
    auto const after = req.query_param("after");
    auto const from_query = after ? seq_of(*after) : std::optional<std::uint64_t>{0};
    if (!from_query) {
        return std::unexpected("after");
    }
    return std::max(*from_query, *from_header);
}

} // namespace

namespace beast = boost::beast;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;

session::session(net::ip::tcp::socket&& socket, shared_state& state) : stream_(std::move(socket)), state_(state) {
    boost::system::error_code ec;
    auto const peer = stream_.socket().remote_endpoint(ec);
    client_ = ec ? std::string{"unknown"} : peer.address().to_string();
}

session::~session() { state_.leave(this); }

void session::run(bool refuse) {
    refuse_ = refuse;
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void session::shut_down() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
        self->stopping_ = true;
        if (!self->busy_) {
            self->close();
        }
    });
}

// Waits for the first bytes of the next request under the idle deadline; the request itself then has its own.
void session::wait_for_request() {
    if (stopping_) {
        close();
        return;
    }
    if (buffer_.size() > 0) { // pipelined: the next request is already here
        read_request();
        return;
    }
    stream_.expires_after(state_.options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
        self->on_first_bytes(ec, n);
    });
}

void session::on_first_bytes(beast::error_code ec, std::size_t n) {
    if (ec) {
        close(); // idle timeout, the client went away, or shut_down()
        return;
    }
    buffer_.commit(n);
    read_request();
}

void session::read_request() {
    busy_ = true;
    method_.clear(); // set again by handle(); an answer to a request that fails before that is not a HEAD's
    started_ = std::chrono::steady_clock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_.options().max_header_bytes));
    parser_->body_limit(state_.options().max_body_bytes);
    stream_.expires_after(state_.options().request_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void session::on_read(beast::error_code ec) {
    request_id_ = request_id();
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset) {
        close();
        return;
    }
    stopping_ = stopping_ || static_cast<bool>(ec); // after a malformed request the stream cannot be trusted
    if (ec == bhttp::error::body_limit) {
        send(error_response(status::payload_too_large, "too_large",
                            fmt::format("the body is larger than {} bytes", state_.options().max_body_bytes)));
    } else if (ec == bhttp::error::header_limit) {
        send(error_response(status::request_header_fields_too_large, "headers_too_large",
                            fmt::format("the headers are larger than {} bytes", state_.options().max_header_bytes)));
    } else if (ec) {
        send(error_response(status::bad_request, "malformed_request", "not a valid HTTP/1.1 request: " + ec.message()));
    } else if (refuse_) {
        stopping_ = true;
        send(error_response(status::service_unavailable, "too_many_connections",
                            "the server holds as many connections as it may; try again shortly")
                 .header("Retry-After", "1"));
    } else {
        handle();
    }
}

void session::handle() {
    if (!parser_) { // read_request() made it: cannot happen
        close();
        return;
    }
    auto const& raw = parser_->get();
    method_ = std::string{raw.method_string()};
    origin_ = std::string{raw[bhttp::field::origin]};
    std::string_view const target{raw.target().data(), raw.target().size()};
    auto const q = target.find('?');
    request req{raw,
                target.substr(0, q),
                q == std::string_view::npos ? std::string_view{} : target.substr(q + 1),
                {},
                request_id_,
                {},
                client_,
                {}};
    // The reply may come from another thread (the engine's): it is posted back to this session's strand.
    replier reply{[self = shared_from_this()](response r) {
        net::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->send(std::move(r)); });
    }};
    auto verdict = admit(state_.routes(), state_.ports(), req);
    if (auto* refused = std::get_if<response>(&verdict)) {
        reply(std::move(*refused));
        return;
    }
    auto& [found, bound] = std::get<admitted>(verdict);
    if (found->live && raw.method() != bhttp::verb::head && take_over(bound, reply)) {
        return;
    }
    run_handler(*found, state_.ports(), bound, std::move(reply));
}

bool session::take_over(request const& bound, replier& reply) {
    auto* hub = state_.ports().live;
    bool const upgrade = beast::websocket::is_upgrade(bound.raw);
    bool const event_stream = bound.header("Accept").find("text/event-stream") != std::string_view::npos;
    if (hub == nullptr || (!upgrade && !event_stream) || !bound.who) {
        return false; // the route's handler answers (how to ask for a stream); a live route always has a token
    }
    auto const salon = std::string{bound.param("salonId")};
    auto const after = resume_point(bound);
    if (!after) {
        reply(error_response(status::bad_request, "invalid_value",
                             fmt::format("{} is a seq (at most 19 digits), e.g. 42", after.error()), after.error()));
        return true;
    }
    if (!engine::codec::is_valid_id(salon) || !hub->latest(salon)) {
        reply(error_response(status::not_found, "salon_not_found", "no salon with this id", "salonId"));
        return true;
    }
    auto seat = hub->take_seat(state_.options().max_live_streams);
    if (!seat) {
        reply(error_response(status::service_unavailable, "too_many_streams",
                             "the server holds as many live streams as it may; try again shortly")
                  .header("Retry-After", "5"));
        return true;
    }
    reply.dismiss();
    auto lease = bound.who->lease();
    response opened;
    opened.code = upgrade ? status::switching_protocols : status::ok;
    opened.route = bound.route;
    opened.salon_id = salon;
    log_access(opened, static_cast<int>(opened.code));
    busy_ = false;
    if (upgrade && parser_) {
        auto const idle = std::chrono::duration_cast<std::chrono::seconds>(state_.options().idle_timeout);
        open_ws_session(stream_.release_socket(), state_.live_rings(), *hub, salon, std::move(lease), std::move(seat),
                        *after, idle, state_.options().write_timeout, parser_->release());
        return true;
    }
    bhttp::response<bhttp::empty_body> head{bhttp::status::ok, 11};
    response shape;
    shape.content_type = "text/event-stream";
    shape.header("Cache-Control", "no-store").header("X-Accel-Buffering", "no");
    finish_headers(head, shape, request_id_, state_.options(), origin_);
    head.keep_alive(false);
    std::ostringstream text;
    text << head.base();
    stream_.expires_never();
    open_sse_session(stream_.release_socket(), state_.live_rings(), *hub, salon, std::move(lease), std::move(seat),
                     *after, state_.options().write_timeout, text.str());
    return true;
}

void session::send(response r) {
    bool const keep_alive = !stopping_ && parser_ && parser_->is_header_done() && parser_->get().keep_alive();
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(r.code, 11);
    finish_headers(*res, r, request_id_, state_.options(), origin_);
    res->keep_alive(keep_alive);
    if (method_ == "HEAD") {
        // What a GET would send, without the body; none for the statuses that never have one (RFC 9110 8.6).
        auto const code = static_cast<unsigned>(r.code);
        if (code >= 200 && r.code != status::no_content && r.code != status::not_modified) {
            res->content_length(r.body.size());
        }
    } else {
        res->body() = std::move(r.body);
        res->prepare_payload();
    }
    log_access(r, static_cast<int>(r.code));
    out_ = res;
    stream_.expires_after(state_.options().write_timeout);
    bhttp::async_write(stream_, *res, [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
        self->on_write(keep_alive, ec);
    });
}

void session::on_write(bool keep_alive, beast::error_code ec) {
    out_.reset();
    busy_ = false;
    if (ec || !keep_alive) {
        close();
        return;
    }
    wait_for_request();
}

void session::close() {
    beast::error_code ignored;
    (void)stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored); // errors go to `ignored`
    (void)stream_.socket().close(ignored);
}

void session::log_access(response const& r, int code) const {
    auto const us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_).count();
    auto const route = r.route.empty() ? std::string_view{"unmatched"} : r.route;
    state_.ports().metrics.request_done(route, method_.empty() ? std::string_view{"-"} : std::string_view{method_},
                                        code, std::chrono::microseconds{us});
    auto const& log = state_.ports().log;
    auto const l = code >= 500 ? logging::level::warn : logging::level::info;
    if (!log.enabled(l)) {
        return;
    }
    log.log(l,
            {logging::kv("requestId", request_id_), logging::kv("method", method_),
             logging::kv("route", std::string{r.route.empty() ? std::string_view{"-"} : r.route}),
             logging::kv("status", code), logging::kv("latencyUs", us), logging::kv("salonId", r.salon_id),
             logging::kv("commandId", r.command_id)},
            "{} {} {}", method_, r.route.empty() ? std::string_view{"-"} : r.route, code);
}

} // namespace salonq::api::http
