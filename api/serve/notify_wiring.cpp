#include "api/serve/notify_wiring.hpp"

namespace salonq::api {

notify_wiring::~notify_wiring() { stop(); }

std::expected<void, std::string> notify_wiring::start(std::filesystem::path const& dir, std::int32_t partitions,
                                                      engine::log::reader& events, notify::service_options options) {
    auto store = notify::notify_store::open(dir, partitions);
    if (!store) {
        return std::unexpected("the notifier's store: " + store.error());
    }
    store_ = std::move(*store);
    service_ = std::make_unique<notify::notifier_service>(*store_, events, std::move(options));
    running_.store(service_.get(), std::memory_order_release);
    return {};
}

void notify_wiring::wake() noexcept {
    if (auto* service = running_.load(std::memory_order_acquire)) {
        service->wake(); // a stopped service ignores it: the object lives as long as the wiring
    }
}

void notify_wiring::stop() {
    running_.store(nullptr, std::memory_order_release);
    if (service_) {
        service_->stop(); // joins its threads: nothing reads the events log after this
    }
}

void notify_wiring::add_metrics(http::metrics& metrics, engine::log::reader& events) {
    auto const& stats = service_->stats();
    metrics.counter("salonq_notify_delivered_total", "Notifications a webhook answered 2xx to.",
                    [&stats] { return static_cast<double>(stats.delivered.load()); });
    metrics.counter("salonq_notify_failed_attempts_total",
                    "Delivery attempts that failed (an answer other than 2xx, no connection, the deadline).",
                    [&stats] { return static_cast<double>(stats.failed_attempts.load()); });
    metrics.counter("salonq_notify_dead_letters_total", "Deliveries that became dead letters (since the start).",
                    [&stats] { return static_cast<double>(stats.dead.load()); });
    metrics.gauge("salonq_notify_outbox", "Notifications waiting to be delivered (every salon).",
                  [store = store_.get()] { return static_cast<double>(store->pending()); });
    metrics.gauge("salonq_notify_lag_events", "Events in the log the notifier has not folded yet.",
                  [store = store_.get(), &events, partitions = events.partition_count()] {
                      double lag = 0;
                      for (std::int32_t p = 0; p < partitions; ++p) {
                          auto const end = events.end_offset(engine::partition_id{p});
                          auto const next = store->next_offset(engine::partition_id{p}).value();
                          lag += end ? static_cast<double>(std::max<std::int64_t>(0, end->value() - next)) : 0;
                      }
                      return lag;
                  });
}

} // namespace salonq::api
