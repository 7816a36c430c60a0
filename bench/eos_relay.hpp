#pragma once

// The exactly-once limit of the platform, for kafka_bench: a consume-produce relay with librdkafka transactions
// (EOS v2, the same client settings as the engine's worker) that decides nothing and keeps no state. It copies
// each message of `in` to the same partition of `out`, batch by batch: a batch closes `commit_interval` after its
// first message or when `max_batch` are in it, then one transaction carries its records and its input offsets.
// What the engine adds to a command beyond this (decoding, the dedupe lookup, deciding, encoding, RocksDB) is the
// engine's own cost; what this relay costs is Kafka's price for exactly-once on this machine.

#include "engine/kafka/detail/client.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

namespace salonq::bench {

class eos_relay {
public:
    eos_relay(engine::kafka::settings const& s, char const* in, char const* out,
              std::chrono::milliseconds commit_interval, std::size_t max_batch)
        : out_{out}, commit_interval_{commit_interval}, max_batch_{max_batch} {
        namespace lk = engine::kafka;
        consumer_ = lk::make_client(s, RD_KAFKA_CONSUMER,
                                    {{"group.id", "salonq-bench-relay"},
                                     {"isolation.level", "read_committed"},
                                     {"enable.auto.commit", "false"},
                                     {"enable.auto.offset.store", "false"},
                                     {"auto.offset.reset", "latest"},
                                     {"fetch.wait.max.ms", "100"}})
                        .value();
        producer_ = lk::make_client(s, RD_KAFKA_PRODUCER,
                                    {{"transactional.id", "salonq-bench-relay"},
                                     {"enable.idempotence", "true"},
                                     {"acks", "all"},
                                     {"linger.ms", "1"},
                                     {"transaction.timeout.ms", "10000"},
                                     {"retry.backoff.ms", "2"}})
                        .value();
        check(rd_kafka_init_transactions(producer_.get(), 30000), "init_transactions");
        lk::detail::partition_list_ptr topics{rd_kafka_topic_partition_list_new(1)};
        rd_kafka_topic_partition_list_add(topics.get(), in, RD_KAFKA_PARTITION_UA);
        (void)rd_kafka_subscribe(consumer_.get(), topics.get());
        // Polled until the group has assigned the input's partitions (positions at their end).
        for (;;) {
            lk::detail::message_ptr m{rd_kafka_consumer_poll(consumer_.get(), 100)};
            rd_kafka_topic_partition_list_t* assigned = nullptr;
            (void)rd_kafka_assignment(consumer_.get(), &assigned);
            lk::detail::partition_list_ptr owned{assigned};
            if (owned && owned->cnt > 0) {
                break;
            }
        }
        thread_ = std::thread{[this] { run(); }};
    }
    eos_relay(eos_relay const&) = delete;
    eos_relay& operator=(eos_relay const&) = delete;
    ~eos_relay() {
        stopping_ = true;
        thread_.join();
        (void)rd_kafka_consumer_close(consumer_.get());
    }

    [[nodiscard]] std::uint64_t transactions() const noexcept { return transactions_.load(); }

private:
    static void check(rd_kafka_error_t* e, char const* what) {
        if (e != nullptr) {
            std::fprintf(stderr, "eos relay: %s: %s\n", what, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            std::abort(); // a bench with a broken relay measures nothing
        }
    }

    void run() {
        namespace lk = engine::kafka;
        using clock = std::chrono::steady_clock;
        std::vector<lk::detail::message_ptr> batch;
        lk::detail::group_metadata_ptr group{rd_kafka_consumer_group_metadata(consumer_.get())};
        while (!stopping_) {
            batch.clear();
            clock::time_point closes{};
            while (batch.size() < max_batch_) {
                auto const wait = batch.empty()
                                      ? std::chrono::milliseconds{100}
                                      : std::chrono::duration_cast<std::chrono::milliseconds>(closes - clock::now());
                if (!batch.empty() && wait.count() <= 0) {
                    break;
                }
                lk::detail::message_ptr m{rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(wait.count()))};
                if (!m) {
                    if (batch.empty() && stopping_) {
                        return;
                    }
                    continue;
                }
                if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                    continue;
                }
                if (batch.empty()) {
                    closes = clock::now() + commit_interval_;
                }
                batch.push_back(std::move(m));
            }
            if (batch.empty()) {
                continue;
            }
            check(rd_kafka_begin_transaction(producer_.get()), "begin_transaction");
            std::map<std::int32_t, std::int64_t> next;
            for (auto const& m : batch) {
                next[m->partition] = m->offset + 1;
            }
            lk::detail::partition_list_ptr offsets{rd_kafka_topic_partition_list_new(static_cast<int>(next.size()))};
            for (auto const& [p, o] : next) {
                rd_kafka_topic_partition_list_add(offsets.get(), rd_kafka_topic_name(batch.front()->rkt), p)->offset =
                    o;
            }
            check(rd_kafka_send_offsets_to_transaction(producer_.get(), offsets.get(), group.get(), -1),
                  "send_offsets_to_transaction");
            for (auto const& m : batch) {
                while (rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(out_), RD_KAFKA_V_PARTITION(m->partition),
                                         RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
                                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                         RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                    rd_kafka_poll(producer_.get(), 1);
                }
            }
            check(rd_kafka_commit_transaction(producer_.get(), -1), "commit_transaction");
            transactions_.fetch_add(1);
        }
    }

    char const* out_;
    std::chrono::milliseconds commit_interval_;
    std::size_t max_batch_;
    engine::kafka::detail::handle_ptr consumer_;
    engine::kafka::detail::handle_ptr producer_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> transactions_{0};
    std::thread thread_;
};

} // namespace salonq::bench
