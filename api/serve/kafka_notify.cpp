#include "api/serve/kafka_notify.hpp"

namespace salonq::api {

kafka_notify::~kafka_notify() { stop(); }

std::expected<void, std::string> kafka_notify::start(kafka_notify_options const& options, std::int32_t partitions) {
    auto store = notify::notify_store::open(options.dir, partitions, notify::notify_store::feed::taken_in);
    if (!store) {
        return std::unexpected("the notifier's store: " + store.error());
    }
    store_ = std::move(*store);
    auto settings = notify::settings_topic::open(options.kafka, *store_);
    if (!settings) {
        return std::unexpected("the reader of salonq.notify-settings: " + settings.error());
    }
    settings_ = std::move(*settings);
    service_ = std::make_unique<notify::notifier_service>(*store_, options.service);
    auto intake = notify::kafka_intake::open(
        {.kafka = options.kafka, .instance = options.instance, .clock = options.service.clock}, *store_,
        [service = service_.get()] { service->queued(); });
    if (!intake) {
        return std::unexpected(intake.error());
    }
    intake_ = std::move(*intake);
    auto deriver = notify::kafka_deriver::open({.kafka = options.kafka, .instance = options.instance}, *store_);
    if (!deriver) {
        return std::unexpected(deriver.error());
    }
    deriver_ = std::move(*deriver);
    return {};
}

void kafka_notify::stop() {
    if (deriver_) {
        deriver_->stop();
    }
    if (intake_) {
        intake_->stop();
    }
    if (service_) {
        service_->stop();
    }
    settings_.reset();
}

std::expected<void, std::string> kafka_notify::publish(engine::salon_id const& salon, notify::salon_settings const& s) {
    if (!settings_) {
        return std::unexpected(std::string{"the notifier is not running"});
    }
    return settings_->publish(salon, s);
}

void kafka_notify::add_metrics(http::metrics& metrics) {
    auto const& sent = service_->stats();
    auto const& derived = deriver_->stats();
    auto const& taken = intake_->stats();
    auto const count = [](std::atomic<std::uint64_t> const& c) {
        return [&c] { return static_cast<double>(c.load()); };
    };
    metrics.counter("salonq_notify_delivered_total", "Notifications a webhook answered 2xx to.", count(sent.delivered));
    metrics.counter("salonq_notify_failed_attempts_total",
                    "Delivery attempts that failed (an answer other than 2xx, no connection, the deadline).",
                    count(sent.failed_attempts));
    metrics.counter("salonq_notify_dead_letters_total", "Deliveries that became dead letters (since the start).",
                    count(sent.dead));
    metrics.gauge("salonq_notify_outbox", "Notifications waiting to be delivered from this instance (every salon).",
                  [store = store_.get()] { return static_cast<double>(store->pending()); });
    metrics.counter("salonq_notify_derived_total",
                    "Kafka mode: notifications this instance produced to salonq.notifications (committed).",
                    count(derived.notifications));
    metrics.counter("salonq_notify_derive_transactions_total", "Kafka mode: the deriver's committed transactions.",
                    count(derived.transactions));
    metrics.counter("salonq_notify_derive_aborts_total", "Kafka mode: the deriver's aborted transactions.",
                    count(derived.aborts));
    metrics.counter("salonq_notify_rebuilt_events_total",
                    "Kafka mode: events folded without emitting while taking partitions of salonq.events over.",
                    count(derived.rebuilt_events));
    metrics.counter("salonq_notify_taken_in_total",
                    "Kafka mode: notifications of salonq.notifications this instance put in its outbox.",
                    count(taken.joined));
}

} // namespace salonq::api
