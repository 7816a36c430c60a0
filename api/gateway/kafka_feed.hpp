#pragma once

// Kafka mode's read side of an api instance: one thread follows every partition of salonq.events
// (read_committed, no consumer group: engine::kafka::topic_tail) from the offsets stored with the views, and folds
// what arrives into the queue views (queue_views::catch_up over the polled records, which passes over the offsets
// of transaction markers). The views store the new offsets in the same WriteBatch as the views and the outcome
// index, so a restart resumes where it stopped and never replays history. Changes go to the live hub as in embedded
// mode. Lives between open() and its destructor (which stops the thread, then unsubscribes); lag(), problem() and
// the counters may be read from any thread.

#include "api/http/live/live_hub.hpp"
#include "engine/codec/invalid_codec.hpp"
#include "engine/kafka/settings.hpp"
#include "projections/store/queue_views.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace salonq::api {

struct kafka_feed_options {
    engine::kafka::settings kafka;
    std::size_t max_batch = 4096;            // records folded in one catch-up at most
    std::chrono::milliseconds poll_wait{50}; // how long a poll waits for the first record
    std::int64_t max_lag_events = 1000;      // problem() beyond this (for /readyz)
};

class kafka_feed {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<kafka_feed>, std::string>
    open(kafka_feed_options options, projections::queue_views& views, http::live_hub& hub);
    ~kafka_feed();
    kafka_feed(kafka_feed const&) = delete;
    kafka_feed& operator=(kafka_feed const&) = delete;

    // Records of salonq.events not yet in the views, as of the brokers' last report (a partition whose last
    // transaction's commit marker follows its last event counts one); -1 before the first report.
    [[nodiscard]] std::int64_t lag() const;
    // Why the views may not be current: the reader's trouble, a fold that failed, a lag beyond the bound, or no
    // report of the topic's ends yet (just started: not ready until the brokers answered).
    [[nodiscard]] std::optional<std::string> problem() const;
    // The sum of the offsets the views resumed from at open (0 for new views), and the records read since.
    [[nodiscard]] std::int64_t resumed_at() const noexcept { return resumed_at_; }
    [[nodiscard]] std::uint64_t records_read() const noexcept { return records_read_.load(); }
    // Who hears of the commands the engine refused unread (command_invalid: keyed or partitioned away from their
    // salon, or a form it does not know, as after an upgrade of one side only): they are no salon's entry, so the
    // views never show them. Called on the feed's thread; set once, before the first such record matters.
    void on_invalid(std::function<void(engine::codec::command_invalid const&)> heard);

private:
    struct impl;
    explicit kafka_feed(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
    std::int64_t resumed_at_ = 0;
    std::atomic<std::uint64_t> records_read_{0};
};

} // namespace salonq::api
