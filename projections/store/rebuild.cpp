#include "projections/store/rebuild.hpp"

#include <fmt/format.h>

#include <system_error>
#include <vector>

namespace salonq::projections {
namespace {

namespace fs = std::filesystem;

// The fresh generation, built from offset 0 to where the live views are (never ahead of them: adopt catches the
// fresh views up to the live ones, never back).
[[nodiscard]] std::expected<std::unique_ptr<queue_views>, error>
build(fs::path const& dir, queue_views const& live, engine::log::reader& events,
      std::unique_ptr<wait_estimator> estimator, rebuild_progress& progress, rebuild_observer const& observe) {
    auto const ends = next_offsets(live);
    for (auto const end : ends) {
        progress.total += static_cast<std::uint64_t>(end.value());
    }
    auto fresh = queue_views::open(dir, live.partition_count(), std::move(estimator), live.indexes_outcomes());
    if (!fresh) {
        return fresh;
    }
    auto const told = [&](std::size_t records) {
        progress.read += records;
        return !observe || observe(progress);
    };
    if (auto caught = (*fresh)->catch_up(events, ends, told); !caught) {
        return std::unexpected(caught.error());
    }
    return fresh;
}

} // namespace

std::expected<void, error> rebuild_views(queue_views& live, generations const& gens, engine::log::reader& events,
                                         std::unique_ptr<wait_estimator> estimator, rebuild_observer const& observe) {
    // The live views first reach the log's end as of now (the feed may lag, or never ran: a CLI rebuild).
    if (auto caught = live.catch_up(events); !caught) {
        return caught;
    }
    auto const dir = gens.next();
    if (!dir) {
        return std::unexpected(error{errc::local_store, dir.error()});
    }
    auto const discard = [&dir](error e) -> std::expected<void, error> {
        std::error_code ignored;
        fs::remove_all(*dir, ignored);
        return std::unexpected(std::move(e));
    };
    rebuild_progress progress;
    auto fresh = build(*dir, live, events, std::move(estimator), progress, observe);
    if (!fresh) {
        return discard(fresh.error());
    }
    auto const keep_going = [&](std::size_t) { return !observe || observe(progress); }; // a stop still stops it
    if (auto adopted = live.adopt(**fresh, events, keep_going); !adopted) {
        fresh->reset();
        return discard(adopted.error());
    }
    // From here `live` serves the new generation; `fresh` holds the old one. On disk before it is made current.
    if (auto persisted = live.persist(); !persisted) {
        return std::unexpected(
            error{persisted.error().code, "the rebuilt views could not be written: " + persisted.error().message});
    }
    if (auto promoted = gens.promote(*dir); !promoted) {
        // The new generation serves until the process stops; the next start opens the old one and catches up.
        return std::unexpected(
            error{errc::local_store, "the rebuilt views could not be made current: " + promoted.error()});
    }
    fresh->reset();
    (void)gens.remove_others(); // what stays behind goes at the next start
    return {};
}

} // namespace salonq::projections
