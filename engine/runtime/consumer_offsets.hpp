#pragma once

// What every consumer of the events log that acts once per event keeps (the notifier, loyalty): the next offset
// of each partition, stored in the consumer's own RocksDB in the same WriteBatch as what it folded, and reads of
// the log from there, decoded. The fold between the two is the consumer's own.

#include "engine/domain/events.hpp"
#include "engine/log/log.hpp"
#include "engine/runtime/rebuild.hpp"
#include "engine/store/rocks_store.hpp"

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace salonq::engine::runtime {

// The next offset to fold of each partition. Kept under "o" + the partition (4 bytes, big-endian) in a family of
// the consumer's choice, the value in decimal. Not thread-safe: its owner's lock guards it.
class consumer_offsets {
public:
    consumer_offsets() = default; // no partitions, until one is loaded
    [[nodiscard]] static std::expected<consumer_offsets, store::error>
    load(store::rocks_store const& db, store::family f, std::int32_t partition_count);

    [[nodiscard]] std::int32_t partition_count() const noexcept { return static_cast<std::int32_t>(next_.size()); }
    [[nodiscard]] offset_t next(partition_id p) const { return offset_t{next_.at(index(p))}; }
    // Writes p's next offset into the batch that holds what was folded before it; advance() once it is written.
    void put(store::write_batch& batch, partition_id p, offset_t next) const;
    // Writes every partition's next offset as held here (a checkpoint's).
    void put_all(store::write_batch& batch) const;
    void advance(partition_id p, offset_t next) { next_.at(index(p)) = next.value(); }
    friend bool operator==(consumer_offsets const&, consumer_offsets const&) = default;

private:
    consumer_offsets(store::family f, std::vector<std::int64_t> next) : family_(f), next_(std::move(next)) {}
    static std::size_t index(partition_id p) { return static_cast<std::size_t>(p.value()); }

    store::family family_ = store::family::meta;
    std::vector<std::int64_t> next_;
};

// Entries of one partition read from the log, at their offsets, and the offset after the last record read: a
// record that does not decode is not among the entries but is read past (one bad record stops no salon).
struct decoded_run {
    partition_id partition;
    std::vector<std::pair<offset_t, log_entry>> entries;
    offset_t end;
};

// A reader of the events log that also holds some of its latest entries decoded (decoded_tail): read_decoded takes
// them from it rather than read and decode the records again.
class decoded_reader : public log::reader {
public:
    // Up to `max` entries of p from `from` on and before `to`, if `from` is among those it holds; none otherwise.
    [[nodiscard]] virtual std::optional<decoded_run> decoded(partition_id p, offset_t from, offset_t to,
                                                             std::size_t max) = 0;
};

// Told of each record passed over because it does not decode (Kafka mode's command_invalid answers, expected in
// the events topic, are passed over silently).
using undecodable = std::function<void(partition_id p, offset_t at, std::string const& why)>;

// Up to `max` records of p in [from, to), decoded (taken as they are from a decoded_reader that holds them). Nothing
// there yet: a run with no entries and end == from.
[[nodiscard]] std::expected<decoded_run, log::error> read_decoded(log::reader& events, partition_id p, offset_t from,
                                                                  offset_t to, std::size_t max, undecodable const& bad);

// Entries handed over at consecutive offsets from `first` (the embedded engine's hand-off), as a run; refused when
// `first` is beyond p's next offset (entries were missed: read them from the log instead).
[[nodiscard]] std::expected<decoded_run, std::string> handed_over(consumer_offsets const& offsets, partition_id p,
                                                                  offset_t first, std::span<log_entry const> entries);

// What a consumer folds a run with: it stores what the run changes with the run's end as p's next offset.
using run_folder = std::function<std::expected<void, std::string>(decoded_run const& run)>;

// Reads every partition from next(p) to the log's end, in runs of up to `max` records, and hands each to `fold`.
// True if anything was new.
[[nodiscard]] std::expected<bool, std::string> catch_up(log::reader& events, std::int32_t partition_count,
                                                        std::function<offset_t(partition_id)> const& next,
                                                        std::size_t max, undecodable const& bad,
                                                        run_folder const& fold);
// The same up to until[p] (or the log's end, if sooner) for each partition p, telling `progress` the offsets each
// run went past (false stops it there: an error).
[[nodiscard]] std::expected<bool, std::string> catch_up_until(log::reader& events, std::span<offset_t const> until,
                                                              std::function<offset_t(partition_id)> const& next,
                                                              std::size_t max, undecodable const& bad,
                                                              run_folder const& fold, fold_progress const& progress);

} // namespace salonq::engine::runtime
