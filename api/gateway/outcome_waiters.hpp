#pragma once

// The submitters waiting for commands' outcomes in Kafka mode, keyed by salon and commandId (two POSTs of one
// Idempotency-Key may wait at once). take() hands a key's completions to the caller to run outside the lock;
// expire() those waiting longer than their deadline. Thread-safe.

#include "api/gateway/command_gateway.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace salonq::api {

class outcome_waiters {
public:
    using clock = std::chrono::steady_clock;

    [[nodiscard]] static std::string key(engine::salon_id const& salon, engine::command_id const& command);

    void add(std::string key, command_gateway::completion done, clock::time_point deadline);
    [[nodiscard]] bool waiting(std::string const& key) const;
    [[nodiscard]] std::vector<command_gateway::completion> take(std::string const& key);
    [[nodiscard]] std::vector<command_gateway::completion> expire(clock::time_point now);
    [[nodiscard]] std::vector<command_gateway::completion> take_all();
    [[nodiscard]] bool empty() const;

private:
    struct waiter {
        command_gateway::completion done;
        clock::time_point deadline;
    };
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::vector<waiter>> waiting_;
};

} // namespace salonq::api
