#pragma once

// The API's port to the engine: submit a command and hear its outcome, look up the outcome of an earlier one.
// In embedded mode it is the engine in this process; in Kafka mode (role api) a producer to salonq.commands and
// the outcomes read back from salonq.events. Handlers see only this interface, so they are the same in both.

#include "engine/domain/commands.hpp"
#include "engine/runtime/outcome.hpp"

#include <expected>
#include <functional>
#include <optional>
#include <string>

namespace salonq::api {

// Why a command was not decided (as opposed to decided and refused, which is an outcome).
struct gateway_error {
    bool retryable = true; // the same command may be sent again as is (the commandId makes that safe)
    std::string message;
};

class command_gateway {
public:
    using completion = std::function<void(std::expected<engine::runtime::outcome, gateway_error>)>;

    virtual ~command_gateway() = default;
    // Queues the command; `done` runs once, on any thread, with its outcome (or why it was not decided).
    virtual void submit(engine::command c, completion done) = 0;
    // The recorded outcome of an earlier command; none if there is no record of it (yet).
    [[nodiscard]] virtual std::expected<std::optional<engine::runtime::outcome>, gateway_error>
    outcome_of(engine::salon_id const& salon, engine::command_id const& command) = 0;
    // Whether commands can be decided now (for /readyz), and if not, why.
    [[nodiscard]] virtual std::optional<std::string> not_ready() = 0;
};

} // namespace salonq::api
