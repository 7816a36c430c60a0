#include "engine/runtime/rebuild.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

namespace salonq::engine::runtime {
namespace {

namespace fs = std::filesystem;
constexpr int unheld_passes = 2;

// The fresh generation, folded from offset 0 to where the live store is (never ahead of it: the swap catches the
// fresh store up to the live one, never back).
[[nodiscard]] std::expected<std::unique_ptr<rebuildable>, std::string>
build(fs::path const& dir, rebuildable const& live, log::reader& events, store_opener const& open,
      rebuild_progress& progress, rebuild_observer const& observe) {
    auto const ends = live.next_offsets();
    for (auto const end : ends) {
        progress.total += static_cast<std::uint64_t>(end.value());
    }
    auto fresh = open(dir);
    if (!fresh) {
        return fresh;
    }
    auto const told = [&](std::size_t records) {
        progress.read += records;
        return !observe || observe(progress);
    };
    if (auto folded = (*fresh)->fold_until(events, ends, told); !folded) {
        return std::unexpected(folded.error());
    }
    return fresh;
}

// `fresh` serves in `live`'s place: most of the way to `live`'s offsets without holding anyone, the last stretch
// (what arrived meanwhile) with `live`'s folds held, then the swap.
[[nodiscard]] std::expected<void, std::string> swap_in(rebuildable& live, rebuildable& fresh, log::reader& events,
                                                       fold_progress const& keep_going) {
    // Twice unheld when the first pass was long enough for much to arrive: the held stretch is then only what came
    // during the second, which matters when each read is a round trip to a broker (Kafka mode) and readers wait.
    for (int pass = 0; pass < unheld_passes && fresh.next_offsets() != live.next_offsets(); ++pass) {
        if (auto folded = fresh.fold_until(events, live.next_offsets(), keep_going); !folded) {
            return folded;
        }
    }
    return live.swap_with(fresh, [&](std::span<offset_t const> offsets) -> std::expected<void, std::string> {
        if (auto folded = fresh.fold_until(events, offsets, keep_going); !folded) {
            return folded;
        }
        if (!std::ranges::equal(fresh.next_offsets(), offsets)) {
            return std::unexpected("the log ends before the offsets the live store reflects");
        }
        return {};
    });
}

} // namespace

std::expected<std::vector<offset_t>, std::string> end_offsets(log::reader& events) {
    std::vector<offset_t> ends;
    for (std::int32_t p = 0; p < events.partition_count(); ++p) {
        auto end = events.end_offset(partition_id{p});
        if (!end) {
            return std::unexpected("reading the events log's end: " + end.error().message);
        }
        ends.push_back(*end);
    }
    return ends;
}

std::expected<void, std::string> rebuild(rebuildable& live, generations const& gens, log::reader& events,
                                         store_opener const& open, rebuild_observer const& observe) {
    // The live store first reaches the log's end as of now (its consumer may lag, or none runs: a CLI rebuild).
    auto const ends = end_offsets(events);
    if (!ends) {
        return std::unexpected(ends.error());
    }
    rebuild_progress progress;
    auto const keep_going = [&](std::size_t) { return !observe || observe(progress); }; // a stop still stops it
    if (auto caught = live.fold_until(events, *ends, keep_going); !caught) {
        return caught;
    }
    auto const dir = gens.next();
    if (!dir) {
        return std::unexpected(dir.error());
    }
    auto const discard = [&dir](std::string why) -> std::expected<void, std::string> {
        std::error_code ignored;
        fs::remove_all(*dir, ignored);
        return std::unexpected(std::move(why));
    };
    auto fresh = build(*dir, live, events, open, progress, observe);
    if (!fresh) {
        return discard(fresh.error());
    }
    if (auto swapped = swap_in(live, **fresh, events, keep_going); !swapped) {
        fresh->reset();
        return discard(swapped.error());
    }
    // From here `live` serves the new generation; `fresh` holds the old one. On disk before it is made current.
    if (auto persisted = live.persist(); !persisted) {
        return std::unexpected("the rebuilt store could not be written: " + persisted.error());
    }
    if (auto promoted = gens.promote(*dir); !promoted) {
        return std::unexpected("the rebuilt store could not be made current: " + promoted.error());
    }
    fresh->reset();
    (void)gens.remove_others(); // what stays behind goes at the next start
    return {};
}

} // namespace salonq::engine::runtime
