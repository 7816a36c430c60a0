#pragma once

#include "api/gateway/command_gateway.hpp"
#include "api/gateway/embedded_feed.hpp"
#include "engine/runtime/embedded_engine.hpp"

namespace salonq::api {

// The gateway of embedded mode: the engine runs in this process, so a submit is a call and the outcome comes
// back once its batch is durable and, with a feed, once the queue views include it (read-your-writes: the views are
// applied off the engine's thread, so the outcome waits for them; see embedded_feed). Owns neither the engine nor
// the feed.
class embedded_gateway final : public command_gateway {
public:
    explicit embedded_gateway(engine::runtime::embedded_engine& engine, embedded_feed* feed = nullptr)
        : engine_(engine), feed_(feed) {}

    void submit(engine::command c, completion done) override;
    [[nodiscard]] std::expected<std::optional<engine::runtime::outcome>, gateway_error>
    outcome_of(engine::salon_id const& salon, engine::command_id const& command) override;
    [[nodiscard]] std::optional<std::string> not_ready() override;

private:
    engine::runtime::embedded_engine& engine_;
    embedded_feed* feed_;
};

} // namespace salonq::api
