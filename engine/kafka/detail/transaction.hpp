#pragma once

// The transactional producer's settings and the commit/abort rules every exactly-once loop of salonq follows (the
// engine worker's committer, the notifier's deriver). Private to engine/kafka.

#include "engine/kafka/detail/handles.hpp"
#include "engine/kafka/errc.hpp"

#include <atomic>
#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>

namespace salonq::engine::kafka::detail {

// The librdkafka properties of a transactional producer named `transactional_id` (EOS v2, acks=all, murmur2).
[[nodiscard]] std::map<std::string, std::string> transactional_properties(std::string const& transactional_id);

// Aborts the open transaction: errc::retryable once aborted (what it held is done again); a transaction that cannot
// be aborted leaves the producer unusable: errc::fenced (a restart of the same instance aborts it). Counts `aborts`.
[[nodiscard]] std::expected<void, error> abort_transaction(rd_kafka_t* producer, std::string reason,
                                                           std::atomic<std::uint64_t>& aborts);
// A failed transactional call: a fatal error is errc::fenced, anything else aborts the transaction.
[[nodiscard]] std::expected<void, error> transaction_failed(rd_kafka_t* producer, std::string_view what,
                                                            rd_kafka_error_t const* cause,
                                                            std::atomic<std::uint64_t>& aborts);
// Commits the open transaction, retrying a retriable failure (as librdkafka asks); otherwise as transaction_failed.
[[nodiscard]] std::expected<void, error> commit_transaction(rd_kafka_t* producer, std::string_view what,
                                                            std::atomic<std::uint64_t>& aborts);

// Produces one record to (topic, partition); waits while the producer queue is full. The value is copied (a null
// value.data() produces a tombstone). opaque goes to the delivery report.
[[nodiscard]] std::expected<void, error> produce_record(rd_kafka_t* producer, char const* topic, std::int32_t partition,
                                                        std::string_view key, std::string_view value,
                                                        std::string_view type, void* opaque = nullptr);

} // namespace salonq::engine::kafka::detail
