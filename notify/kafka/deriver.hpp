#pragma once

#include "engine/kafka/settings.hpp"
#include "notify/store/notify_store.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>

namespace salonq::notify {

struct deriver_options {
    engine::kafka::settings kafka;
    std::string instance; // unique per running process: the transactional.id is salonq-notify-<instance>
    std::string group = "salonq-notify";
    std::chrono::milliseconds session_timeout{6000};
    std::size_t max_batch = 1000; // events per transaction at most
};

struct deriver_stats {
    std::atomic<std::uint64_t> events{0};        // events folded and committed (not counting rebuilds)
    std::atomic<std::uint64_t> notifications{0}; // produced in committed transactions
    std::atomic<std::uint64_t> transactions{0};
    std::atomic<std::uint64_t> aborts{0};
    std::atomic<std::uint64_t> rebuilt_events{0}; // folded without emitting, taking partitions over
};

// Kafka mode's derivation of notifications, exactly once: a member of the consumer group `salonq-notify` on
// salonq.events (read_committed). Per batch of events, each salon's salon_notifier folds them and what it derives
// for a salon with settings goes to salonq.notifications (same partition number, key = salonId) in one transaction
// with the consumed offsets, so a kill -9 or a rebalance neither loses nor repeats a notification in the topic. The
// notifiers live in memory: taking a partition over folds it from its start up to the group's committed offset
// without emitting (docs/notify.md says why); an aborted transaction puts the notifiers it touched back as they were
// and reads again from the committed offsets. Rules come from the salons' settings in `settings` (read only). A
// thread of its own runs it, until the object goes or a fatal error (fenced: problem() says so).
class kafka_deriver {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<kafka_deriver>, std::string> open(deriver_options options,
                                                                                         notify_store const& settings);
    ~kafka_deriver();
    // Joins the thread and leaves the group; the stats stay readable until the object goes.
    void stop();
    kafka_deriver(kafka_deriver const&) = delete;
    kafka_deriver& operator=(kafka_deriver const&) = delete;

    [[nodiscard]] deriver_stats const& stats() const noexcept;
    [[nodiscard]] std::optional<std::string> problem() const;

    struct impl;

private:
    explicit kafka_deriver(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::notify
