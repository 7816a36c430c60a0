#pragma once

// The route table: every route of the API in one list (method, path pattern, who may call it, handler), which
// the server dispatches from and the OpenAPI test walks. A pattern is literal segments and `{name}` parameters,
// e.g. "/v1/salons/{salonId}/tickets/{ticketId}"; parameters are percent-decoded and bound by name.

#include "api/auth/access.hpp"
#include "api/http/request.hpp"
#include "api/http/response.hpp"

#include <boost/beast/http/verb.hpp>

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace salonq::api::http {

struct services;

// Hands a handler's response back to its connection, from any thread, exactly once. A replier dropped without
// a response answers 500, so a request is never left hanging.
class replier {
public:
    explicit replier(std::move_only_function<void(response)> send) : send_(std::move(send)) {}
    replier(replier&&) noexcept = default;
    replier& operator=(replier&&) noexcept = default;
    replier(replier const&) = delete;
    replier& operator=(replier const&) = delete;
    ~replier();

    void operator()(response r);
    // The connection was handed over (to a live stream): there is nothing to answer here.
    void dismiss() noexcept { send_ = nullptr; }

private:
    std::move_only_function<void(response)> send_;
};

using handler_fn = void (*)(services&, request const&, replier);

using verb = boost::beast::http::verb;

// Who may call a route: anyone (health, a customer's own ticket link) or a bearer of a valid token whose role may
// do the route's action in the route's salon (a route without a salon: admin only, unless it is across_salons).
enum class access : std::uint8_t { open, token };

struct route {
    verb method;
    std::string_view pattern;
    access who = access::token;
    auth::action does = auth::action::read_queue;
    handler_fn handler = nullptr;
    std::string_view summary; // one line, also the OpenAPI summary
    bool live = false;        // a WebSocket upgrade or Accept: text/event-stream takes the connection over
    // A route without a salon that any token whose role may do the action calls: its handler shows only what lies in
    // the token's salons (a customer's loyalty, earned across salons), or nothing of any salon (/metrics).
    bool across_salons = false;
};

struct route_match {
    route const* found = nullptr;
    path_params params;
};
struct no_route {};
struct wrong_method {
    std::string allow; // "GET, POST"
};
struct bad_path {
    std::string message;
};
using match_result = std::variant<route_match, no_route, wrong_method, bad_path>;

class router {
public:
    explicit router(std::span<route const> routes);
    [[nodiscard]] match_result match(verb method, std::string_view path) const;
    [[nodiscard]] std::span<route const> routes() const noexcept { return routes_; }

private:
    struct compiled {
        route const* r;
        std::vector<std::string_view> segments; // "{name}" for a parameter
    };
    std::span<route const> routes_;
    std::vector<compiled> compiled_;
};

} // namespace salonq::api::http
