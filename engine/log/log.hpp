#pragma once

#include "engine/domain/strong.hpp"

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::engine::log {

// One message of a partitioned log: its place, the key (salonId) and the JSON value.
struct record {
    partition_id partition;
    offset_t offset;
    std::string key;
    std::string value;
};

struct error {
    std::string message;
};

// A record seen where it lies: valid only during the call that shows it.
struct record_view {
    partition_id partition;
    offset_t offset;
    std::string_view key;
    std::string_view value;
};
using record_visitor = std::function<bool(record_view const&)>; // false: stop

// Read access to a partitioned log (the commands or events topic). The embedded log and the Kafka backend
// both implement it; projections, replay and the CLI read through it.
class reader {
public:
    virtual ~reader() = default;
    [[nodiscard]] virtual std::int32_t partition_count() const = 0;
    // Up to `max` records of partition p from offset `from` on, in offset order.
    [[nodiscard]] virtual std::expected<std::vector<record>, error> read(partition_id p, offset_t from,
                                                                         std::size_t max) = 0;
    // The offset the next appended record of p will get.
    [[nodiscard]] virtual std::expected<offset_t, error> end_offset(partition_id p) = 0;
    // Shows the records of p in [from, to) in offset order until `see` returns false. The default reads batches
    // through read(); a reader that can show records without copying them (the embedded log) overrides it. For
    // whole-log passes such as replay.
    [[nodiscard]] virtual std::expected<void, error> visit(partition_id p, offset_t from, offset_t to,
                                                           record_visitor const& see);
};

// Up to `max` records of p in [from, to). A reader may show records at or past `to` even when fewer than `max` lie
// before it: a Kafka log's offsets have gaps (transaction markers and aborted records are not records). A fold that
// must stop exactly at `to` (a rebuild reaching the offsets a live store reflects) reads through this.
[[nodiscard]] std::expected<std::vector<record>, error> read_before(reader& events, partition_id p, offset_t from,
                                                                    offset_t to, std::size_t max);

} // namespace salonq::engine::log
