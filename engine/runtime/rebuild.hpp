#pragma once

// Rebuilding a projection's store from the events log while it serves: one mechanism for every projection (the
// queue views, the stats, the loyalty ledger). A fresh store in the next generation folds the log beside the live
// one, reaches exactly the live one's offsets with the live one's folds held, and the two swap their contents; the
// fresh generation is then made current and the old one removed (docs/projections.md).

#include "engine/log/log.hpp"
#include "engine/runtime/generations.hpp"

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace salonq::engine::runtime {

// How far a rebuild is: offsets of the events log read past so far, of `total` (the log's length when it began).
// Offsets, not records: a Kafka topic's markers and aborted records take offsets too, and count as read.
struct rebuild_progress {
    std::uint64_t read = 0;
    std::uint64_t total = 0;
};
// Told after each chunk; false stops the rebuild (the live store serves on as it was).
using rebuild_observer = std::function<bool(rebuild_progress const&)>;
// Told the offsets a chunk of a fold went past (its records, and the markers between them), after each chunk;
// false stops the fold there.
using fold_progress = std::function<bool(std::size_t offsets)>;
// What a store's swap_with runs with its folds held: the fresh store reaches exactly `offsets` (the live ones').
using reach_offsets = std::function<std::expected<void, std::string>(std::span<offset_t const> offsets)>;

// A projection's store as a rebuild sees it: a fold of the events log with the offsets it reflects, that a fresh
// store of its own kind can replace in place. Replacing the contents, not the object, keeps every reader, consumer
// and subscriber holding a reference to the live store as it is. Each store keeps its own thread rules; these
// calls may come from a rebuild's thread while its consumer or feed folds on.
class rebuildable {
public:
    rebuildable() = default;
    virtual ~rebuildable() = default;
    rebuildable(rebuildable const&) = delete;
    rebuildable& operator=(rebuildable const&) = delete;

    // The first offset of each partition not yet folded, in partition order.
    [[nodiscard]] virtual std::vector<offset_t> next_offsets() const = 0;
    // Folds every partition from its next offset up to until[p] (or the log's end, if sooner), telling `progress`.
    [[nodiscard]] virtual std::expected<void, std::string>
    fold_until(log::reader& events, std::span<offset_t const> until, fold_progress const& progress) = 0;
    // With every fold of this store held: `reach` with this store's offsets, then this store's contents and
    // `fresh`'s (a store of the same kind, private to the caller) are swapped in one step, readers waiting for it.
    // Nothing changes when `reach` fails or `fresh` is of another kind.
    [[nodiscard]] virtual std::expected<void, std::string> swap_with(rebuildable& fresh,
                                                                     reach_offsets const& reach) = 0;
    // Everything folded so far on disk, waited for: before a rebuilt generation is made current.
    [[nodiscard]] virtual std::expected<void, std::string> persist() = 0;
};

// Opens (or creates) a store of the projection's kind at a directory.
using store_opener =
    std::function<std::expected<std::unique_ptr<rebuildable>, std::string>(std::filesystem::path const& dir)>;

// Rebuilds `live` (opened from gens.current()) from the whole events log without stopping it: it reaches the log's
// end; a fresh store opened in gens.next() folds the log from offset 0 to where `live` is then (never ahead of it),
// reaches `live`'s offsets of the moment with `live`'s folds held, and swaps contents with it; `live` is persisted,
// its new generation made current, the old one closed and removed. On failure before the swap `live` serves on as
// before and the half-built generation is removed; after it (the pointer could not be written), the new contents
// serve until the process stops and the next start opens the old generation and catches up.
[[nodiscard]] std::expected<void, std::string> rebuild(rebuildable& live, generations const& gens, log::reader& events,
                                                       store_opener const& open, rebuild_observer const& observe = {});

// Each partition's end offset as of now.
[[nodiscard]] std::expected<std::vector<offset_t>, std::string> end_offsets(log::reader& events);

} // namespace salonq::engine::runtime
