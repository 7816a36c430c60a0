#pragma once

// group_consumer's state, shared with transactional_producer (which sends offsets with the group's metadata).
// Private to engine/kafka.

#include "engine/kafka/detail/handles.hpp"
#include "engine/kafka/group_consumer.hpp"

#include <atomic>
#include <map>
#include <optional>
#include <set>

namespace salonq::engine::kafka {

struct group_consumer::impl {
    group_consumer_options options;
    partition_listener& listener;
    std::int32_t partitions = 0;
    detail::handle_ptr consumer;
    std::set<std::int32_t> owned;
    std::set<std::int32_t> moved; // by the callbacks of the current poll: what was read of them is left out
    std::optional<error> failure; // a callback's, returned by poll()
    bool ever_assigned = false;
    // Set when the owner destroys the consumer: the close runs on a thread of its own (which may outlive a slow
    // close's owner, impl leaked), so the callbacks no longer reach the listener; owed offsets are still committed.
    std::atomic<bool> closing{false};
    std::map<std::int32_t, std::int64_t> owed; // next offsets commit() could not commit yet

    impl(group_consumer_options o, partition_listener& l) : options(std::move(o)), listener(l) {}

    static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                             void* opaque);
    void take(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* parts);
    void give(rd_kafka_t* rk, rd_kafka_topic_partition_list_t const* parts, bool tell);
    [[nodiscard]] rd_kafka_resp_err_t commit_owed(rd_kafka_t* rk, std::map<std::int32_t, std::int64_t> const& next);
    [[nodiscard]] detail::partition_list_ptr owned_list() const;
};

} // namespace salonq::engine::kafka
