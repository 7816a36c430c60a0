#pragma once

#include "api/http/metrics.hpp"
#include "engine/kafka/settings.hpp"
#include "notify/kafka/deriver.hpp"
#include "notify/kafka/intake.hpp"
#include "notify/kafka/settings_topic.hpp"
#include "notify/run/notifier_service.hpp"
#include "notify/store/notify_store.hpp"

#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace salonq::api {

struct kafka_notify_options {
    std::filesystem::path dir; // the outbox: <data>/notify-kafka
    engine::kafka::settings kafka;
    std::string instance; // the deriver's transactional.id is salonq-notify-<instance>
    notify::service_options service{};
};

// The notification consumer of `salonq serve --brokers --role api|all` (docs/notify.md, "Kafka mode"): this
// instance's store (the outbox, its dead letters and every salon's settings), the reader of salonq.notify-settings
// that fills the settings, the deriver (group salonq-notify: salonq.events -> salonq.notifications, exactly once),
// the intake (group salonq-notify-deliver: salonq.notifications -> the outbox) and the senders. Kept apart from
// kafka_stack so the stack only holds it and stops it.
//
// Lifetime and threads: start()ed once; stop() (or the destructor) stops deriving first, then taking in, then the
// senders, then the settings' reader; the store (for the HTTP handlers) and the counters (for /metrics) stay until the
// object goes.
// publish() from request threads.
class kafka_notify {
public:
    kafka_notify() = default;
    ~kafka_notify();
    kafka_notify(kafka_notify const&) = delete;
    kafka_notify& operator=(kafka_notify const&) = delete;

    [[nodiscard]] std::expected<void, std::string> start(kafka_notify_options const& options, std::int32_t partitions);
    void stop();

    [[nodiscard]] notify::notify_store* store() noexcept { return store_.get(); }
    // A salon's settings to every instance (salonq.notify-settings), read back here before it returns.
    [[nodiscard]] std::expected<void, std::string> publish(engine::salon_id const& salon,
                                                           notify::salon_settings const& s);
    // salonq_notify_*: the embedded mode's counters and outbox, and the deriver's and the intake's.
    void add_metrics(http::metrics& metrics);

private:
    std::unique_ptr<notify::notify_store> store_;
    std::unique_ptr<notify::settings_topic> settings_;
    std::unique_ptr<notify::notifier_service> service_;
    std::unique_ptr<notify::kafka_intake> intake_;
    std::unique_ptr<notify::kafka_deriver> deriver_;
};

} // namespace salonq::api
