#pragma once

#include "engine/domain/strong.hpp"
#include "engine/kafka/settings.hpp"

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace salonq::engine::kafka {

// Idempotent, non-transactional producer of keyed records to one topic: what an api instance uses to send
// commands to salonq.commands and `token revoke --brokers` to send revocations. Idempotence keeps one key's
// records in the order they were produced through retries (a walk-in never lands behind a later one of the same
// terminal). A thread of its own serves the delivery reports; `delivered` runs there, once per record, with the
// record's offset in its partition or why it was not written (a caller can wait for its reader to pass it); see
// delivered_at for a record written at an offset nobody told. A fatal
// producer error (or a delivery that failed for good) is kept and reported by problem() until the next success.
// Thread-safe: produce() from any thread; the destructor flushes for up to the settings' timeout.
class record_producer {
public:
    // A delivery report: the record was written, at its offset in the partition, or at an offset unknown (none), or
    // it was not (why). librdkafka reports some records persisted without an offset (-1): an idempotent producer's
    // retry the broker already had (DUPLICATE_SEQUENCE_NUMBER), a report that came from no broker answer. A caller
    // waiting for a reader to pass its record then waits for what the record holds instead (see
    // notify::settings_topic::publish); those that only look at the error need not care.
    using delivered_at = std::expected<std::optional<offset_t>, error>;
    using delivery = std::function<void(delivered_at)>;

    [[nodiscard]] static std::expected<std::unique_ptr<record_producer>, error> open(settings const& s,
                                                                                     std::string topic);
    ~record_producer();
    record_producer(record_producer const&) = delete;
    record_producer& operator=(record_producer const&) = delete;

    // Queues one record for `partition`; `type` goes in the "type" header (with "v" = 1), as the engine's records.
    // An empty value with `tombstone` is a null value (a compacted topic's delete). Fails only when the producer
    // cannot take it (fatal error, queue full for longer than the timeout).
    [[nodiscard]] std::expected<void, error> produce(std::int32_t partition, std::string_view key,
                                                     std::string_view value, std::string_view type, delivery delivered,
                                                     bool tombstone = false);
    // Waits until every queued record is delivered (or failed), at most `timeout`.
    [[nodiscard]] std::expected<void, error> flush(std::chrono::milliseconds timeout);
    // Why produced records may not get through now (for /readyz); none when healthy.
    [[nodiscard]] std::optional<std::string> problem() const;

    // The offset a successful delivery report gave (librdkafka's rd_kafka_message_t::offset): none when negative,
    // i.e. not known (RD_KAFKA_OFFSET_INVALID, -1001, or -1).
    [[nodiscard]] static std::optional<offset_t> reported_offset(std::int64_t reported) noexcept;

private:
    struct impl;
    explicit record_producer(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::engine::kafka
