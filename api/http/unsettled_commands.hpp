#pragma once

// Commands this process answered 202 (no decision within the POST's wait) and has not seen decided yet, and those
// whose decision then failed (a batch write error, a Kafka delivery timeout). GET .../commands/{id} asks here when
// there is no outcome: without it, a command that will never be decided would read "not found, may still be pending"
// for ever, and its terminal would poll for ever instead of sending it again. Only what this process answered 202:
// another api instance, or this one after a restart, knows nothing of it (404, as for a command never received).
// Bounded: at most `capacity` entries, a failure kept for `keep_failed`. Thread-safe.

#include "api/gateway/command_gateway.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace salonq::api::http {

class unsettled_commands {
public:
    using clock = std::chrono::steady_clock;

    // What is known of a command without an outcome: still pending, or not decided for `failure`.
    struct state {
        std::optional<gateway_error> failure; // none: pending
    };

    unsettled_commands(std::size_t capacity, std::chrono::minutes keep_failed);

    // The command was answered 202.
    void pending(std::string_view salon, std::string_view command, clock::time_point now);
    // Its decision came: forgotten when decided (the outcome answers from now on), kept as failed if not.
    void settled(std::string_view salon, std::string_view command, std::optional<gateway_error> failure,
                 clock::time_point now);
    [[nodiscard]] std::optional<state> find(std::string_view salon, std::string_view command,
                                            clock::time_point now) const;
    [[nodiscard]] std::size_t size() const;

private:
    struct entry {
        state what;
        clock::time_point since;
    };
    [[nodiscard]] static std::string key(std::string_view salon, std::string_view command);
    void put(std::string k, state s, clock::time_point now);
    void prune(clock::time_point now);

    std::size_t capacity_;
    std::chrono::minutes keep_failed_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
    std::deque<std::pair<clock::time_point, std::string>> order_; // insertion order; stale pairs are skipped
};

} // namespace salonq::api::http
