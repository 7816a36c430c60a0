#pragma once

#include "engine/runtime/consumer_offsets.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace salonq::engine::runtime {

// The latest entries of the embedded events log, decoded, for the read side's consumers of one process (the stats,
// the notifier, loyalty). The engine commits each batch's entries decoded and the views' feed applies them as they
// are; every other consumer then read the same records back from RocksDB and decoded them once more: the reads and
// decode_entry were ~7 % of embedded serve's CPU at the walk-in maximum (bench/RESULTS.md, session 29). The feed
// appends each run it applied; a consumer's read_decoded copies what is held, and reads from the log what is older
// than the tail. It is a reader of the log as well (every other call passes through), so a consumer given it in place
// of the log needs nothing else.
//
// The log as far as the feed handed it on: a run is appended at the offsets the engine wrote it at, and one that does
// not follow what a partition holds replaces it (nothing is ever served out of order or with a gap). A read from the
// end of what a partition holds gets nothing, though the engine may have committed more: the feed appends that next
// and then wakes the consumers (embedded_stack), as it wakes them for everything. Reading on from the log there cost
// each consumer a RocksDB seek per partition at every wake-up, and the decoding of entries the tail was about to hand
// it (~2-3 % of serve in walk-ins, session 30). Before the feed's first run, and after a gap, the log answers. Bounded:
// each partition keeps its latest runs while the others hold at least `capacity` entries. Thread-safe: append() from
// one thread, reads from any. A run is kept as it was appended, immutable and shared, and the lock guards only the list
// of runs: a read copies its entries after letting it go, so the feed (request path) never waits while a background
// consumer copies.
class decoded_tail final : public decoded_reader {
public:
    static constexpr std::size_t default_capacity = 4096;

    explicit decoded_tail(log::reader& log, std::size_t capacity = default_capacity);

    // Entries of p committed at consecutive offsets from `first`.
    void append(partition_id p, offset_t first, std::vector<log_entry> entries);

    [[nodiscard]] std::optional<decoded_run> decoded(partition_id p, offset_t from, offset_t to,
                                                     std::size_t max) override;

    [[nodiscard]] std::int32_t partition_count() const override { return log_.partition_count(); }
    [[nodiscard]] std::expected<std::vector<log::record>, log::error> read(partition_id p, offset_t from,
                                                                           std::size_t max) override {
        return log_.read(p, from, max);
    }
    [[nodiscard]] std::expected<offset_t, log::error> end_offset(partition_id p) override { return log_.end_offset(p); }
    [[nodiscard]] std::expected<void, log::error> visit(partition_id p, offset_t from, offset_t to,
                                                        log::record_visitor const& see) override {
        return log_.visit(p, from, to, see);
    }

private:
    struct run {
        std::int64_t first = 0;      // the offset of entries->front()
        std::int64_t end_offset = 0; // the offset after entries->back(), kept here: a search reads no entries
        std::shared_ptr<std::vector<log_entry> const> entries;
        [[nodiscard]] std::int64_t end() const { return end_offset; }
    };
    struct held {
        std::mutex mutex;
        std::deque<run> runs;  // consecutive: each begins where the one before ends
        std::size_t count = 0; // their entries
    };

    log::reader& log_;
    std::size_t capacity_;
    std::vector<std::unique_ptr<held>> partitions_;
};

} // namespace salonq::engine::runtime
