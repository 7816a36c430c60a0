#pragma once

#include "engine/kafka/settings.hpp"
#include "engine/log/log.hpp"

#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <vector>

namespace salonq::engine::kafka {

// An engine::log::reader over one topic (salonq.events) for a consumer that keeps its offsets with its own data
// (the stats and the loyalty ledger in Kafka mode's api role). read(p, from, max) gives the committed records of p
// from `from` on (read_committed: aborted records and transaction markers are not records, so the offsets of what it
// returns can have gaps, and a read from a marker's offset finds nothing); end_offset(p) is the last stable offset,
// asked of the partition's leader. No consumer group, nothing committed: every reader sees every record.
//
// One consumer handle, assigned one partition at a time; a read that goes on where the last one of the same
// partition ended goes on with the fetch (no seek), and one that starts where an earlier read found only markers and
// aborted records up to the unchanged stable end answers "nothing" without a fetch, so a consumer that polls an idle
// topic sends one offsets request per partition and poll. Every wait is bounded by the settings' timeout; a read from
// an offset the retention has deleted is an error, never a silent jump. Not thread-safe: one thread reads;
// end_offsets() and records_read() may be read from any thread.
class topic_log_reader final : public log::reader {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<topic_log_reader>, error> open(settings const& s,
                                                                                      std::string topic);
    ~topic_log_reader() override;
    topic_log_reader(topic_log_reader const&) = delete;
    topic_log_reader& operator=(topic_log_reader const&) = delete;

    [[nodiscard]] std::int32_t partition_count() const override;
    [[nodiscard]] std::expected<std::vector<log::record>, log::error> read(partition_id p, offset_t from,
                                                                           std::size_t max) override;
    [[nodiscard]] std::expected<offset_t, log::error> end_offset(partition_id p) override;

    // Each partition's end as this reader last learned it (-1: not yet), for lag gauges on other threads: the last
    // stable offset, or `from` when a read from `from` found that only markers or aborted records lie before it (so
    // a consumer that has read everything is 0 behind, not one marker behind).
    [[nodiscard]] std::vector<std::int64_t> end_offsets() const;
    // Records returned since open, and the times a read had to (re)assign a partition and fetch.
    [[nodiscard]] std::uint64_t records_read() const noexcept;
    [[nodiscard]] std::uint64_t assignments() const noexcept;

private:
    struct impl;
    explicit topic_log_reader(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::engine::kafka
