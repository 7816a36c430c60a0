#pragma once

#include "engine/kafka/settings.hpp"
#include "engine/log/log.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace salonq::engine::kafka {

// Follows every partition of one topic, read_committed, with no consumer group: the partitions are assigned, not
// subscribed, so every reader sees every record whatever other readers do (an api instance answers for any salon).
// It starts where its owner says (each partition's next offset, e.g. stored beside the views) and never commits
// an offset. Not thread-safe: one thread polls; end_offsets() and problem() may be called from any thread.
class topic_tail {
public:
    // start: the first offset to read of each partition (size = the topic's partition count, checked), or empty
    // for "from the beginning of every partition". Waits up to the settings' timeout for the topic to show.
    [[nodiscard]] static std::expected<std::unique_ptr<topic_tail>, error> open(settings const& s, std::string topic,
                                                                                std::vector<std::int64_t> const& start);
    ~topic_tail();
    topic_tail(topic_tail const&) = delete;
    topic_tail& operator=(topic_tail const&) = delete;

    [[nodiscard]] std::int32_t partition_count() const noexcept;
    // Reads again from these offsets (one a partition), e.g. after the owner failed to store what it polled.
    [[nodiscard]] std::expected<void, error> rewind(std::vector<std::int64_t> const& start);
    // Up to `max` records in arrival order (each partition's in offset order): waits up to `wait` for the first,
    // then takes only what has already arrived. A null value (tombstone) comes as an empty value with
    // `tombstone` set in the returned flags.
    struct polled {
        std::vector<log::record> records;
        std::vector<bool> tombstone; // per record
    };
    [[nodiscard]] std::expected<polled, error> poll(std::size_t max, std::chrono::milliseconds wait);
    // Polls into `take` until every partition was read up to its end as the cluster tells it when called (the high
    // watermark: for a topic without transactions, after its last record), or fails at `deadline`: what a topic held
    // before its reader started is known before the reader's owner serves.
    [[nodiscard]] std::expected<void, error> read_to_end(std::function<void(polled const&)> const& take,
                                                         std::chrono::steady_clock::time_point deadline);
    // Each partition's end as last reported by the brokers (read_committed: the last stable offset), -1 if not
    // known yet. No request to the cluster.
    [[nodiscard]] std::vector<std::int64_t> end_offsets() const;
    // Why records may not be arriving (no broker reachable); none when fine.
    [[nodiscard]] std::optional<std::string> problem() const;

private:
    struct impl;
    explicit topic_tail(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::engine::kafka
