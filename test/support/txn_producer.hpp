#pragma once

// A transactional producer of salonq.events, librdkafka's own, for tests that need transaction markers, aborted
// records or a transaction left open (what a worker's transactions leave in the partition, made by hand).

#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/kafka.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

namespace salonq::test {

class txn_producer {
public:
    // `transaction_timeout_ms`: how long the broker lets a transaction stay open before it aborts it.
    explicit txn_producer(std::string const& bootstrap, std::string const& transactional_id = "test-producer",
                          int transaction_timeout_ms = 60'000) {
        engine::kafka::settings s;
        s.brokers = bootstrap;
        auto p = engine::kafka::make_client(s, RD_KAFKA_PRODUCER,
                                            {{"transactional.id", transactional_id},
                                             {"enable.idempotence", "true"},
                                             {"transaction.timeout.ms", std::to_string(transaction_timeout_ms)}});
        REQUIRE_MESSAGE(p, (p ? "" : p.error().message));
        handle_ = std::move(*p);
        check(rd_kafka_init_transactions(handle_.get(), 30'000));
    }
    void begin() { check(rd_kafka_begin_transaction(handle_.get())); }
    // One record on partition p of salonq.events, delivered before this returns (still in the open transaction).
    void send(std::int32_t p, std::string const& value, std::string const& key = "s1") {
        REQUIRE(rd_kafka_producev(handle_.get(), RD_KAFKA_V_TOPIC(engine::kafka::events_topic), RD_KAFKA_V_PARTITION(p),
                                  RD_KAFKA_V_KEY(key.data(), key.size()),
                                  RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
        REQUIRE(rd_kafka_flush(handle_.get(), 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    void commit() { check(rd_kafka_commit_transaction(handle_.get(), 30'000)); }
    void abort() { check(rd_kafka_abort_transaction(handle_.get(), 30'000)); }
    // What a retention that has run does: p's records before `before` deleted (the DeleteRecords API).
    void delete_before(std::int32_t p, std::int64_t before) {
        engine::kafka::detail::partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
        rd_kafka_topic_partition_list_add(list.get(), engine::kafka::events_topic, p)->offset = before;
        auto* records = rd_kafka_DeleteRecords_new(list.get());
        engine::kafka::detail::queue_ptr queue{rd_kafka_queue_new(handle_.get())};
        rd_kafka_DeleteRecords(handle_.get(), &records, 1, nullptr, queue.get());
        rd_kafka_DeleteRecords_destroy(records);
        engine::kafka::detail::event_ptr ev{rd_kafka_queue_poll(queue.get(), 30'000)};
        REQUIRE(ev);
        REQUIRE_MESSAGE(rd_kafka_event_error(ev.get()) == RD_KAFKA_RESP_ERR_NO_ERROR,
                        rd_kafka_event_error_string(ev.get()));
    }

private:
    static void check(rd_kafka_error_t* raw) {
        engine::kafka::detail::error_ptr e{raw};
        REQUIRE_MESSAGE(!e, (e ? rd_kafka_error_string(e.get()) : ""));
    }
    engine::kafka::detail::handle_ptr handle_;
};

} // namespace salonq::test
