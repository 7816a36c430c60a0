#pragma once

#include "engine/kafka/settings.hpp"

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

namespace salonq::engine::kafka {

// Partition counts of salonq's topics as the cluster reports them (nullopt: the topic does not exist).
struct topic_layout {
    std::optional<std::int32_t> commands;
    std::optional<std::int32_t> events;
    std::optional<std::int32_t> snapshots;
    std::optional<std::int32_t> notifications; // the api role's notifier (must equal events)
    // salonq.events' retention.ms as the cluster reports it (-1: kept forever; nullopt: unknown or no topic).
    std::optional<std::int64_t> events_retention_ms;
    // salonq.snapshots' max.message.bytes (nullopt: unknown or no topic).
    std::optional<std::int64_t> snapshots_max_message_bytes;
    // Why snapshots_max_message_bytes is unknown although the topic exists (e.g. DescribeConfigs failed after a
    // few tries); empty otherwise.
    std::string snapshots_limit_unknown_because;
};

[[nodiscard]] std::expected<topic_layout, error> describe_topics(settings const& s);

// Creates what is missing of salon.commands, salonq.events (same partition count) and salonq.snapshots
// (compacted, records up to max_record_bytes). Refuses a layout where the commands and events topics differ in
// partition count: a salon's events must land on the partition number its commands came from. The events are
// the record, kept forever unless `events_retention` (> 0) says otherwise; the commands get the cluster's default
// retention. An existing salonq.snapshots that takes smaller records is raised to max_record_bytes, its other
// settings kept; one whose limit the cluster does not tell is refused (`retryable`).
[[nodiscard]] std::expected<topic_layout, error> ensure_topics(settings const& s, std::int32_t partitions,
                                                               std::int16_t replication,
                                                               std::chrono::hours events_retention = {});

// Creates one topic if it does not exist (benchmarks, tests; salonq.revocations, compacted).
[[nodiscard]] std::expected<void, error> create_topic(settings const& s, char const* name, std::int32_t partitions,
                                                      std::int16_t replication, bool compacted = false);

// The partition count of one topic, waiting up to the settings' timeout for it to show (errc::retryable if it does
// not: it may not exist, `salonq topics create` makes salonq's).
[[nodiscard]] std::expected<std::int32_t, error> partitions_of(settings const& s, std::string const& topic);

// The check every engine worker makes before it starts: the partition count its topics agree on.
[[nodiscard]] std::expected<std::int32_t, error> check_layout(topic_layout const& layout);
// Whether salonq.snapshots takes the largest snapshot. A topic not yet created passes; a limit too small is
// `misconfigured`; an existing topic whose limit the cluster did not tell is `retryable` (never run unchecked).
[[nodiscard]] std::expected<void, error> check_snapshot_record_limit(topic_layout const& layout);

} // namespace salonq::engine::kafka
