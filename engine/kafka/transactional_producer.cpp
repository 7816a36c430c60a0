#include "engine/kafka/transactional_producer.hpp"

#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/detail/group_consumer_impl.hpp"
#include "engine/kafka/detail/transaction.hpp"

#include <fmt/format.h>

namespace salonq::engine::kafka {

struct transactional_producer::impl {
    detail::handle_ptr producer;
    std::atomic<std::uint64_t> transactions{0};
    std::atomic<std::uint64_t> aborts{0};

    [[nodiscard]] std::expected<void, error> send_offsets(group_consumer::impl const& consumer,
                                                          std::map<std::int32_t, std::int64_t> const& next) {
        detail::partition_list_ptr offsets{rd_kafka_topic_partition_list_new(static_cast<int>(next.size()))};
        for (auto const& [p, o] : next) {
            rd_kafka_topic_partition_list_add(offsets.get(), consumer.options.topic.c_str(), p)->offset = o;
        }
        detail::group_metadata_ptr group{rd_kafka_consumer_group_metadata(consumer.consumer.get())};
        if (detail::error_ptr e{rd_kafka_send_offsets_to_transaction(producer.get(), offsets.get(), group.get(), -1)}) {
            return detail::transaction_failed(producer.get(), "send offsets to transaction", e.get(), aborts);
        }
        return {};
    }
};

transactional_producer::transactional_producer(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
transactional_producer::~transactional_producer() = default;

std::expected<std::unique_ptr<transactional_producer>, error>
transactional_producer::open(settings const& s, std::string const& transactional_id) {
    auto i = std::make_unique<impl>();
    auto producer = make_client(s, RD_KAFKA_PRODUCER, detail::transactional_properties(transactional_id));
    if (!producer) {
        return std::unexpected(producer.error());
    }
    i->producer = std::move(*producer);
    if (detail::error_ptr e{rd_kafka_init_transactions(i->producer.get(), 30000)}) {
        return std::unexpected(
            error{errc::retryable, fmt::format("init transactions: {}", rd_kafka_error_string(e.get()))});
    }
    return std::unique_ptr<transactional_producer>(new transactional_producer(std::move(i)));
}

std::expected<void, error> transactional_producer::commit(std::string const& topic,
                                                          std::span<outgoing_record const> records,
                                                          group_consumer const& consumer,
                                                          std::map<std::int32_t, std::int64_t> const& next_offsets) {
    auto& s = *impl_;
    if (detail::error_ptr e{rd_kafka_begin_transaction(s.producer.get())}) {
        // Only a producer left in a bad state refuses to begin: stop; a restart (same instance) cleans it up.
        return std::unexpected(
            error{errc::fenced, fmt::format("begin transaction: {}", rd_kafka_error_string(e.get()))});
    }
    // The offsets first, as the worker's committer does (the partitions of the records are then added at once).
    if (auto sent = s.send_offsets(*consumer.impl_, next_offsets); !sent) {
        return sent;
    }
    for (auto const& r : records) {
        if (auto ok = detail::produce_record(s.producer.get(), topic.c_str(), r.partition, r.key, r.value, r.type);
            !ok) {
            return ok.error().code == errc::retryable
                       ? detail::abort_transaction(s.producer.get(), ok.error().message, s.aborts)
                       : ok;
        }
    }
    if (auto committed = detail::commit_transaction(s.producer.get(), "commit transaction", s.aborts); !committed) {
        return committed;
    }
    s.transactions.fetch_add(1, std::memory_order_relaxed);
    return {};
}

std::uint64_t transactional_producer::transactions() const noexcept {
    return impl_->transactions.load(std::memory_order_relaxed);
}
std::uint64_t transactional_producer::aborts() const noexcept { return impl_->aborts.load(std::memory_order_relaxed); }

} // namespace salonq::engine::kafka
