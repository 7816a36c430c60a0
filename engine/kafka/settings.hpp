#pragma once

#include "engine/kafka/errc.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace salonq::engine::kafka {

inline constexpr char const* commands_topic = "salonq.commands";
inline constexpr char const* events_topic = "salonq.events";
inline constexpr char const* snapshots_topic = "salonq.snapshots";
// Compacted, one partition: key = a revoked token's jti, value = its expiry (docs/auth.md).
inline constexpr char const* revocations_topic = "salonq.revocations";
// What customers are told, derived once from salonq.events by the api role's notifier (docs/notify.md): as many
// partitions as salonq.events, key = salonId, value = the webhook's JSON.
inline constexpr char const* notifications_topic = "salonq.notifications";
// Compacted, one partition: key = salonId, value = the salon's webhook settings, secret included (docs/notify.md).
inline constexpr char const* notify_settings_topic = "salonq.notify-settings";

// The largest record salonq produces: a salon's snapshot (a state of up to codec::limits::record bytes and its
// envelope). The workers' producers and salonq.snapshots (max.message.bytes) accept records of this size, so a
// salon that grows large can always be snapshotted (docs/design.md, "Record sizes").
inline constexpr std::int32_t max_record_bytes = 17 * 1024 * 1024;

// How to reach the cluster. `extra` passes librdkafka properties through (e.g. security settings).
struct settings {
    std::string brokers;
    std::string client_id = "salonq";
    std::map<std::string, std::string> extra;
    std::chrono::milliseconds timeout{10'000};
};

} // namespace salonq::engine::kafka
