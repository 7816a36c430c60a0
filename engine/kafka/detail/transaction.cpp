#include "engine/kafka/detail/transaction.hpp"

#include "engine/kafka/settings.hpp"

#include <fmt/format.h>

namespace salonq::engine::kafka::detail {

std::map<std::string, std::string> transactional_properties(std::string const& transactional_id) {
    return {{"transactional.id", transactional_id},
            {"enable.idempotence", "true"},
            {"acks", "all"},
            {"linger.ms", "1"},
            {"partitioner", "murmur2_random"},
            {"message.max.bytes", std::to_string(max_record_bytes)}, // a large salon's snapshot
            // A process killed mid-transaction leaves it open, and read_committed readers of those partitions see
            // nothing after it until the coordinator aborts it at this timeout (unless the same instance comes back
            // first: its init_transactions aborts it at once). Kafka Streams uses 10 s for EOS too; the longest
            // transaction here (a snapshot round) takes well under a second.
            {"transaction.timeout.ms", "10000"},
            // Right after a commit the coordinator answers CONCURRENT_TRANSACTIONS until the previous markers are
            // written; the default 100 ms retry back-off put ~110 ms into every send_offsets_to_transaction
            // (measured on a local broker).
            {"retry.backoff.ms", "2"}};
}

std::expected<void, error> abort_transaction(rd_kafka_t* producer, std::string reason,
                                             std::atomic<std::uint64_t>& aborts) {
    aborts.fetch_add(1, std::memory_order_relaxed);
    for (int attempt = 0; attempt < 4; ++attempt) {
        error_ptr e{rd_kafka_abort_transaction(producer, 30000)};
        if (!e) {
            return std::unexpected(error{errc::retryable, std::move(reason)}); // aborted: done again
        }
        if (rd_kafka_error_is_retriable(e.get()) == 0 || rd_kafka_error_is_fatal(e.get()) != 0) {
            return std::unexpected(
                error{errc::fenced, fmt::format("abort after {}: {}", reason, rd_kafka_error_string(e.get()))});
        }
    }
    return std::unexpected(error{errc::fenced, fmt::format("abort after {}: timed out", reason)});
}

std::expected<void, error> transaction_failed(rd_kafka_t* producer, std::string_view what,
                                              rd_kafka_error_t const* cause, std::atomic<std::uint64_t>& aborts) {
    auto reason = fmt::format("{}: {}", what, rd_kafka_error_string(cause));
    if (rd_kafka_error_is_fatal(cause) != 0) {
        return std::unexpected(error{errc::fenced, std::move(reason)}); // e.g. fenced
    }
    return abort_transaction(producer, std::move(reason), aborts);
}

std::expected<void, error> commit_transaction(rd_kafka_t* producer, std::string_view what,
                                              std::atomic<std::uint64_t>& aborts) {
    // A retriable failure (a timeout) leaves the commit in progress: it is retried, as librdkafka asks.
    for (int attempt = 0;; ++attempt) {
        error_ptr e{rd_kafka_commit_transaction(producer, -1)};
        if (!e) {
            return {};
        }
        if (rd_kafka_error_is_retriable(e.get()) == 0 || attempt == 3) {
            return transaction_failed(producer, what, e.get(), aborts);
        }
    }
}

// Produces one record to (topic, partition); waits while the producer queue is full. The value is copied: after a
// failed abort librdkafka may still hold records whose batch is gone.
std::expected<void, error> produce_record(rd_kafka_t* producer, char const* topic, std::int32_t partition,
                                          std::string_view key, std::string_view value, std::string_view type,
                                          void* opaque) {
    for (;;) {
        auto err = rd_kafka_producev(
            producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key.data(), key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), // a null value.data(): a tombstone
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADER("type", type.data(), static_cast<ssize_t>(type.size())), RD_KAFKA_V_HEADER("v", "1", 1),
            RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(producer, 10);
            continue;
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(error{err == RD_KAFKA_RESP_ERR__FATAL ? errc::fenced : errc::retryable,
                                         fmt::format("produce: {}", rd_kafka_err2str(err))});
        }
        return {};
    }
}

} // namespace salonq::engine::kafka::detail
