#pragma once

#include "engine/log/log.hpp"
#include "engine/runtime/read_pacer.hpp"
#include "notify/deliver/retry.hpp"
#include "notify/store/notify_store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace salonq::notify {

struct service_options {
    std::int32_t senders = 4;                // deliveries in flight at once
    std::chrono::milliseconds poll{250};     // how often the events log is read when nobody wakes the service
    std::chrono::milliseconds timeout{5000}; // one delivery, connect to answer
    retry_policy retry{};                    // its max_attempts is the salon's (settings)
    bool allow_private = false;              // webhooks may reach private/loopback addresses (address_policy.hpp)
    std::function<engine::instant()> clock;  // default: the system clock
};

struct service_stats {
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::uint64_t> failed_attempts{0};
    std::atomic<std::uint64_t> dead{0};
};

// Runs the notifier: one consumer thread folds the events log into the store (deriving deliveries), sender threads
// post what is due to the salons' webhooks, signed, and record each result (2xx: done; anything else: tried again
// after the retry policy's delay, or a dead letter after the salon's max attempts). wake() after new events (the
// engine's commit hook) makes the consumer read at once instead of at its next poll (paced by
// engine::runtime::read_pacer: its reads start at least read_gap apart). Without an events log (Kafka mode, where
// deliveries come from salonq.notifications) it runs the senders only: queued() after deliveries were put in the
// store wakes them.
class notifier_service {
public:
    notifier_service(notify_store& store, engine::log::reader& events, service_options options);
    notifier_service(notify_store& store, service_options options);
    ~notifier_service();
    notifier_service(notifier_service const&) = delete;
    notifier_service& operator=(notifier_service const&) = delete;

    void wake();
    void queued();
    void stop();
    [[nodiscard]] service_stats const& stats() const noexcept { return stats_; }

private:
    void start();
    void consume();
    void send();
    void deliver(delivery const& d);
    void attempt(delivery const& d);
    [[nodiscard]] bool stopping() const noexcept { return stop_.load(std::memory_order_acquire); }

    notify_store& store_;
    engine::log::reader* events_; // null: senders only
    service_options options_;
    service_stats stats_;
    engine::runtime::read_pacer pacer_; // the consumer's: when it reads the log next
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable sender_wake_;
    std::uint64_t new_work_ = 0; // under mutex_: bumped when the consumer queued deliveries (senders wake on it)
    std::vector<std::thread> threads_;
};

} // namespace salonq::notify
