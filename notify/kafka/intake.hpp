#pragma once

#include "engine/kafka/settings.hpp"
#include "notify/store/notify_store.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace salonq::notify {

struct intake_options {
    engine::kafka::settings kafka;
    std::string instance; // for the log
    std::string group = "salonq-notify-deliver";
    std::chrono::milliseconds session_timeout{6000};
    std::function<engine::instant()> clock; // a delivery taken in is due at once; default: the system clock
};

struct intake_stats {
    std::atomic<std::uint64_t> read{0};   // records of salonq.notifications read
    std::atomic<std::uint64_t> joined{0}; // deliveries put in the outbox (the rest were there already)
};

// Kafka mode's delivery side: a member of the consumer group `salonq-notify-deliver` on salonq.notifications takes
// the records of its partitions into this instance's outbox (notify_store::take_in: each id once, with the
// partition's next offset, one fsynced batch) and only then commits the offsets to the group; the notifier
// service's senders post them. A partition coming back to this instance is read from the later of the group's
// offset and the one stored with the outbox, so a commit lost in a crash does not put a delivery in twice. A thread
// of its own runs it until the object goes; `queued` is called after deliveries joined (it wakes the senders).
class kafka_intake {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<kafka_intake>, std::string>
    open(intake_options options, notify_store& store, std::function<void()> queued);
    ~kafka_intake();
    // Joins the thread and leaves the group; the stats stay readable until the object goes.
    void stop();
    kafka_intake(kafka_intake const&) = delete;
    kafka_intake& operator=(kafka_intake const&) = delete;

    [[nodiscard]] intake_stats const& stats() const noexcept;
    [[nodiscard]] std::optional<std::string> problem() const;

    struct impl;

private:
    explicit kafka_intake(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::notify
