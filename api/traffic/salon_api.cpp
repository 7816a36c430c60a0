#include "api/traffic/salon_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <random>
#include <string_view>
#include <thread>

namespace salonq::api::traffic {
namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Refusals the model runs into by design (it acts on a view that may be a moment old, leftovers of an earlier
// run, a daily priority limit): counted, not logged.
constexpr std::array<std::string_view, 12> expected_refusals{
    "staff_busy",   "staff_off_duty",         "queue_empty",           "not_waiting",  "not_serving",
    "not_skipped",  "priority_limit_reached", "staff_already_on_duty", "salon_exists", "staff_exists",
    "seq_conflict", "ticket_not_found"};

std::string text_of(method m) {
    switch (m) {
    case method::get:
        return "GET";
    case method::put:
        return "PUT";
    case method::patch:
        return "PATCH";
    case method::post:
        return "POST";
    }
    return "?";
}

} // namespace

salon_api::salon_api(endpoint server, token_minter& tokens, std::function<bool()> stopping)
    : server_(std::move(server)), tokens_(tokens), stopping_(std::move(stopping)), client_(server_),
      nonce_(fmt::format("{:08x}", std::random_device{}())) {}

void salon_api::pause(std::chrono::milliseconds d) const {
    auto const until = steady::now() + d;
    while (!stopping_() && steady::now() < until) {
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(50ms, d));
    }
}

void salon_api::server_down(std::string const& why) {
    if (!down_since_) {
        down_since_ = steady::now();
        log_.warn("the server does not answer ({}); trying again with backoff", why);
    }
}
void salon_api::server_up() {
    if (down_since_) {
        auto const s = std::chrono::duration_cast<std::chrono::seconds>(steady::now() - *down_since_).count();
        log_.warn("the server answers again (after {} s)", s);
        down_since_.reset();
    }
}

posted salon_api::command(method m, std::string const& target, std::string body, std::string const& bearer,
                          std::string const& kind) {
    request r{m, target, std::move(body), bearer, fmt::format("t{}-{}", nonce_, ++next_key_)};
    std::chrono::milliseconds backoff = 200ms;
    while (!stopping_()) {
        auto got = client_.send(r);
        if (!got) {
            server_down(got.error());
            ++counts_.retries;
            pause(backoff);
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
            continue;
        }
        server_up();
        auto const status = got->status;
        if (status == 429 || status == 503) {
            ++counts_.retries;
            auto const asked = got->retry_after;
            pause(asked ? std::chrono::milliseconds{*asked} : backoff);
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
            continue;
        }
        auto answer = parse_answer(got->body);
        if (status >= 200 && status < 300) {
            ++counts_.accepted[kind];
            return {outcome::accepted, std::move(answer)};
        }
        if ((status == 404 || status == 409 || status == 412) &&
            std::ranges::find(expected_refusals, answer.error_code) != expected_refusals.end()) {
            ++counts_.rejected[answer.error_code];
            return {outcome::rejected, std::move(answer)};
        }
        ++counts_.unexpected;
        log_.warn("{} {}: {} {}", text_of(m), target, status, answer.error_code);
        refused_ = refused_ || status == 401;
        return {outcome::failed, std::move(answer)};
    }
    return {};
}

std::expected<queue_snapshot, no_view> salon_api::queue(std::string const& salon) {
    auto got = client_.send({method::get, fmt::format("/v1/salons/{}/queue", salon), {}, tokens_.admin(), {}});
    if (!got) {
        server_down(got.error());
        ++counts_.retries;
        return std::unexpected(no_view::failed);
    }
    server_up();
    if (got->status == 404) {
        return std::unexpected(no_view::missing);
    }
    if (got->status == 429 || got->status == 503) {
        ++counts_.retries; // busy or not ready yet: the next round asks again, after a backoff
        return std::unexpected(no_view::failed);
    }
    if (got->status != 200) {
        ++counts_.unexpected;
        if (got->status == 401 || got->status == 403) {
            log_.error("the server refused the driver's token ({}): is --data the data directory of the server at {}?",
                       got->status, server_.url());
            refused_ = true;
        } else {
            log_.warn("GET /v1/salons/{}/queue: {}", salon, got->status);
        }
        return std::unexpected(no_view::failed);
    }
    auto q = parse_queue(got->body);
    if (!q) {
        log_.warn("GET /v1/salons/{}/queue: {}", salon, q.error());
        ++counts_.unexpected;
        return std::unexpected(no_view::failed);
    }
    return std::move(*q);
}

} // namespace salonq::api::traffic
