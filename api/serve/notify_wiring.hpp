#pragma once

#include "api/http/metrics.hpp"
#include "engine/log/log.hpp"
#include "notify/run/notifier_service.hpp"
#include "notify/store/notify_store.hpp"

#include <atomic>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>

namespace salonq::api {

// The notification consumer inside `salonq serve` (embedded mode): the notifier's store (<data>/notify) and its
// service, folding the engine's events log and posting to the salons' webhooks. Kept apart from embedded_stack so
// the stack only holds it, wakes it from the views' feed and stops it.
//
// Lifetime and threads: default-constructed before the engine (the feed's hook points at it, so it must outlive
// the engine), start()ed once the engine is open, stop()ped before the engine closes its log; the store stays open
// until the wiring goes, for the HTTP handlers. wake() may be called from any thread at any time: before start()
// and after stop() it does nothing.
class notify_wiring {
public:
    notify_wiring() = default;
    ~notify_wiring();
    notify_wiring(notify_wiring const&) = delete;
    notify_wiring& operator=(notify_wiring const&) = delete;

    [[nodiscard]] std::expected<void, std::string> start(std::filesystem::path const& dir, std::int32_t partitions,
                                                         engine::log::reader& events, notify::service_options options);
    void wake() noexcept;
    void stop();

    // What the handlers use (null before start()).
    [[nodiscard]] notify::notify_store* store() noexcept { return store_.get(); }
    // salonq_notify_*: delivered, failed attempts and dead letters (counters), the outbox and the consumer's lag.
    void add_metrics(http::metrics& metrics, engine::log::reader& events);

private:
    std::unique_ptr<notify::notify_store> store_;
    std::unique_ptr<notify::notifier_service> service_;
    std::atomic<notify::notifier_service*> running_{nullptr}; // what wake() reaches; null when not running
};

} // namespace salonq::api
