#pragma once

#include "engine/kafka/group_consumer.hpp"
#include "engine/kafka/settings.hpp"

#include <atomic>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <span>
#include <string>

namespace salonq::engine::kafka {

// A record to produce in a transaction.
struct outgoing_record {
    std::int32_t partition = 0;
    std::string key;
    std::string value;
    std::string type; // the "type" header (with "v" = 1), as the engine's records
};

// The producing half of a consume-transform-produce loop outside the engine worker (the notifier's deriver): one
// Kafka transaction per batch holds the records and the consumer's offsets with its group metadata (EOS v2,
// KIP-447), so a batch is in the output topic exactly when its input is marked consumed, and a member of an older
// group generation (a zombie) is fenced. The rules (settings, retries, abort) are the worker's committer's
// (detail/transaction). Not thread-safe: the consumer's thread commits.
class transactional_producer {
public:
    // transactional_id: unique per running process; the same id after a restart aborts what the last run left open.
    [[nodiscard]] static std::expected<std::unique_ptr<transactional_producer>, error>
    open(settings const& s, std::string const& transactional_id);
    ~transactional_producer();
    transactional_producer(transactional_producer const&) = delete;
    transactional_producer& operator=(transactional_producer const&) = delete;

    // One transaction: `records` to `topic`, and `next_offsets` (partition -> next offset) of the consumer's topic.
    // errc::retryable: aborted, nothing of it is visible (the owner rewinds the consumer and does the batch again);
    // errc::fenced: the producer is unusable (a newer member took over, or a fatal error): stop.
    [[nodiscard]] std::expected<void, error> commit(std::string const& topic, std::span<outgoing_record const> records,
                                                    group_consumer const& consumer,
                                                    std::map<std::int32_t, std::int64_t> const& next_offsets);
    [[nodiscard]] std::uint64_t transactions() const noexcept;
    [[nodiscard]] std::uint64_t aborts() const noexcept;

private:
    struct impl;
    explicit transactional_producer(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::engine::kafka
