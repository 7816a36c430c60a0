#pragma once

// The gateway of Kafka mode's api role. A submit produces the command to salonq.commands (client form, key =
// salonId, on the salon's murmur2 partition, idempotent producer) and completes when the command's outcome shows up
// in the views this instance feeds from salonq.events. The outcome comes from the views' outcome index (written in
// the same batch as the views), which is also asked first: a retried commandId, which the engine deduplicates and
// answers with nothing new, gets its original outcome, from whichever api instance it reaches (docs/outcome-index.md).
// Waiters are keyed by salon and commandId and woken by the views' changes (on the feed's thread); one that hears
// nothing for `give_up` fails as retryable. Thread-safe; the views and the feed outlive it.

#include "api/gateway/command_gateway.hpp"
#include "api/gateway/kafka_feed.hpp"
#include "engine/kafka/settings.hpp"
#include "projections/store/queue_views.hpp"

#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace salonq::api {

struct kafka_gateway_options {
    engine::kafka::settings kafka;
    std::chrono::milliseconds give_up{30'000}; // a waiter that hears nothing this long fails (retryable)
    // The time an outcome's age is measured at (a submitted command's own received_at is used for it).
    std::function<engine::instant()> clock = engine::wall_now;
    // Why the rest of the read side is not ready (the stats', the loyalty ledger's lag), asked by not_ready() after
    // the producer and the feed; none when fine. Called from the server's threads.
    std::function<std::optional<std::string>()> read_side_problem{};
};

class kafka_gateway final : public command_gateway {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<kafka_gateway>, std::string>
    open(kafka_gateway_options options, projections::queue_views& views, kafka_feed& feed);
    ~kafka_gateway() override;
    kafka_gateway(kafka_gateway const&) = delete;
    kafka_gateway& operator=(kafka_gateway const&) = delete;

    void submit(engine::command c, completion done) override;
    [[nodiscard]] std::expected<std::optional<engine::runtime::outcome>, gateway_error>
    outcome_of(engine::salon_id const& salon, engine::command_id const& command) override;
    [[nodiscard]] std::optional<std::string> not_ready() override;

private:
    struct impl;
    explicit kafka_gateway(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::api
