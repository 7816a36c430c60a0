#pragma once

#include "api/traffic/http_client.hpp"
#include "api/traffic/queue_snapshot.hpp"
#include "api/traffic/token_minter.hpp"
#include "engine/logging/logger.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace salonq::api::traffic {

// What the driver did, accepted by the engine (rejections and failures apart).
struct traffic_counts {
    std::map<std::string, std::uint64_t> accepted; // by kind: walk_in, start, start_priority, complete, ...
    std::map<std::string, std::uint64_t> rejected; // by the engine's code (staff_busy, priority_limit_reached, ...)
    std::uint64_t unexpected = 0;                  // answers logged as unexpected (5xx, 401, 403, 400, ...)
    std::uint64_t retries = 0;                     // 429, 503, or no answer: sent again (a command with its key)
};

enum class outcome : std::uint8_t { accepted, rejected, failed };
struct posted {
    outcome result = outcome::failed;
    command_answer answer;
};
// Why there is no queue view: the salon does not exist, or there was no usable answer.
enum class no_view : std::uint8_t { missing, failed };

// The driver's side of the HTTP API: commands with an Idempotency-Key, sent again with the same key after 429
// (Retry-After), 503 or no answer, with backoff; queue views; what came back, counted; one log line per unexpected
// answer and one per outage (when the server stops answering and when it is back). `stopping` is asked between
// attempts and while pausing. Single-threaded, like the driver that owns it.
class salon_api {
public:
    salon_api(endpoint server, token_minter& tokens, std::function<bool()> stopping);

    [[nodiscard]] posted command(method m, std::string const& target, std::string body, std::string const& bearer,
                                 std::string const& kind);
    [[nodiscard]] std::expected<queue_snapshot, no_view> queue(std::string const& salon);

    // The server refused the driver's tokens (401): the run cannot go on.
    [[nodiscard]] bool refused_us() const { return refused_; }
    [[nodiscard]] traffic_counts const& counts() const { return counts_; }
    // Sleeps, waking early when stopping.
    void pause(std::chrono::milliseconds d) const;

private:
    void server_down(std::string const& why);
    void server_up();

    endpoint server_;
    token_minter& tokens_;
    std::function<bool()> stopping_;
    http_client client_;
    logging::logger log_{"traffic"};
    traffic_counts counts_;
    std::string nonce_; // a run's keys never meet an earlier run's
    std::uint64_t next_key_ = 0;
    std::optional<std::chrono::steady_clock::time_point> down_since_;
    bool refused_ = false;
};

} // namespace salonq::api::traffic
