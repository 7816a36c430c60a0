#pragma once

#include "api/gateway/command_gateway.hpp"
#include "engine/runtime/embedded_engine.hpp"

namespace salonq::api {

// The gateway of embedded mode: the engine runs in this process, so a submit is a call and the outcome comes
// back on the engine worker's thread once its batch is durable. Does not own the engine.
class embedded_gateway final : public command_gateway {
public:
    explicit embedded_gateway(engine::runtime::embedded_engine& engine) : engine_(engine) {}

    void submit(engine::command c, completion done) override;
    [[nodiscard]] std::expected<std::optional<engine::runtime::outcome>, gateway_error>
    outcome_of(engine::salon_id const& salon, engine::command_id const& command) override;
    [[nodiscard]] std::optional<std::string> not_ready() override;

private:
    engine::runtime::embedded_engine& engine_;
};

} // namespace salonq::api
