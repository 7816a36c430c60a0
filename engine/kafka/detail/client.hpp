#pragma once

// Building librdkafka clients from salonq settings. Private to engine/kafka.

#include "engine/kafka/detail/handles.hpp"
#include "engine/kafka/settings.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>

namespace salonq::engine::kafka {

// A client of the given type with the settings' brokers and extra properties, plus `properties` (which win).
[[nodiscard]] std::expected<detail::handle_ptr, error> make_client(settings const& s, rd_kafka_type_t type,
                                                                   std::map<std::string, std::string> const& properties,
                                                                   void (*configure)(rd_kafka_conf_t*, void*) = nullptr,
                                                                   void* opaque = nullptr);

namespace detail {

// How a consumer group's members hand partitions over: cooperative-sticky (only the partitions that move are
// revoked) or eager (range: every member gives all of its partitions back inside its poll before the group forms
// again).
enum class handover : std::uint8_t { cooperative, eager };
using rebalance_callback = void (*)(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*, void*);

// A member of consumer group `group` that commits its offsets itself, or in a transaction (the engine worker,
// group_consumer): read_committed, no automatic commit or offset store, the earliest offset of a partition without a
// committed one, `session_timeout` with heartbeats at a third of it, fetches that wait up to 100 ms.
// `on_rebalance` is told of assignments and revocations, with `opaque`.
[[nodiscard]] std::expected<handle_ptr, error> make_group_member(settings const& s, std::string const& group,
                                                                 handover moves,
                                                                 std::chrono::milliseconds session_timeout,
                                                                 rebalance_callback on_rebalance, void* opaque);

// The topic's partition count from the cluster's metadata, waiting up to `timeout` for a topic just created to show.
[[nodiscard]] std::expected<std::int32_t, error> topic_partitions(rd_kafka_t* rk, std::string const& topic,
                                                                  std::chrono::milliseconds timeout);

// Closes a group member's consumer (it leaves the group, so its partitions move at once) within `limit`: false if it
// did not finish (librdkafka 2.0.2 can hang there after a cooperative assignment was lost); the closing thread is
// then left running and the handle must not be destroyed (the group notices by the session timeout instead).
// `ever_assigned`: librdkafka before 2.3.0 aborts destroying a cooperative-sticky consumer that joined but got no
// assignment (https://github.com/confluentinc/librdkafka/issues/4312): such a handle is released, to the process exit.
[[nodiscard]] bool leave_group(handle_ptr& consumer, bool ever_assigned, std::chrono::seconds limit);

// The end of a partition as a take-over's read_committed reader finds it. That reader ends at the last stable
// offset: a transaction still open on the partition (a zombie's, or one committed whose marker this partition has
// not got yet: the coordinator writes the markers partition by partition, and KIP-447 makes only the committed
// offsets wait for them) holds it below the high watermark, and a fold that stopped there would miss events whose
// commands' offsets are already committed: the next walk-in would get a token already handed out. So an end counts
// once the last fetch saw nothing past it; until then the read goes on (the marker brings the records, or a new end
// past the aborted ones), for `limit` at most: a transaction left open is aborted within transaction.timeout.ms plus
// the broker's check for timed-out ones (10 s each by default).
class settled_end {
public:
    static constexpr std::chrono::seconds limit{30};

    // A read of partition `partition` of `topic` by `reader` that ends at `bound` (exclusive) if it gets there first.
    // `stopping` (may be null) ends a wait at once.
    settled_end(rd_kafka_t* reader, char const* topic, std::int32_t partition, std::atomic<bool> const* stopping,
                std::int64_t bound = INT64_MAX)
        : reader_(reader), topic_(topic), partition_(partition), stopping_(stopping), bound_(bound) {}

    // After a poll that brought nothing (`m` null) or the partition's end: true when the read is done (a settled end,
    // or one at or past the bound), false to poll again; errc::retryable once the end has stayed short of the high
    // watermark for `limit`, or when the worker stops meanwhile.
    [[nodiscard]] std::expected<bool, error> done(rd_kafka_message_t const* m);

private:
    [[nodiscard]] bool settled(std::int64_t offset);

    rd_kafka_t* reader_;
    char const* topic_;
    std::int32_t partition_;
    std::atomic<bool> const* stopping_;
    std::int64_t bound_;
    std::int64_t end_ = -1, high_ = -1;                                // as last found short
    std::optional<std::chrono::steady_clock::time_point> short_since_; // set while the end is short
};

} // namespace detail

} // namespace salonq::engine::kafka
