#include "projections/store/rebuild.hpp"

#include <fmt/format.h>

#include <system_error>
#include <vector>

namespace salonq::projections {
namespace {

namespace fs = std::filesystem;

// Each partition's end now, and their sum.
std::expected<std::vector<engine::offset_t>, error> ends_of(engine::log::reader& events, std::uint64_t& total) {
    std::vector<engine::offset_t> ends;
    for (std::int32_t p = 0; p < events.partition_count(); ++p) {
        auto end = events.end_offset(engine::partition_id{p});
        if (!end) {
            return std::unexpected(error{errc::log_read, end.error().message});
        }
        ends.push_back(*end);
        total += static_cast<std::uint64_t>(end->value());
    }
    return ends;
}

// The fresh generation, built from offset 0 to the log's end as of the start.
std::expected<std::unique_ptr<queue_views>, error> build(fs::path const& dir, queue_views const& live,
                                                         engine::log::reader& events,
                                                         std::unique_ptr<wait_estimator> estimator,
                                                         rebuild_observer const& observe) {
    rebuild_progress progress;
    auto ends = ends_of(events, progress.total);
    if (!ends) {
        return std::unexpected(ends.error());
    }
    auto fresh = queue_views::open(dir, live.partition_count(), std::move(estimator), live.indexes_outcomes());
    if (!fresh) {
        return fresh;
    }
    auto const told = [&](std::size_t records) {
        progress.read += records;
        return !observe || observe(progress);
    };
    if (auto caught = (*fresh)->catch_up(events, *ends, told); !caught) {
        return std::unexpected(caught.error());
    }
    return fresh;
}

} // namespace

std::expected<void, error> rebuild_views(queue_views& live, generations const& gens, engine::log::reader& events,
                                         std::unique_ptr<wait_estimator> estimator, rebuild_observer const& observe) {
    // The live views first reach the log's end as of now (the feed may lag), so that the fresh ones, built up to
    // that end, never get ahead of them: adopt catches the fresh ones up to the live ones, never back.
    if (auto caught = live.catch_up(events); !caught) {
        return caught;
    }
    auto const dir = gens.next();
    auto const discard = [&dir](error e) -> std::expected<void, error> {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
        return std::unexpected(std::move(e));
    };
    auto fresh = build(dir, live, events, std::move(estimator), observe);
    if (!fresh) {
        return discard(fresh.error());
    }
    if (auto adopted = live.adopt(**fresh, events); !adopted) {
        fresh->reset();
        return discard(adopted.error());
    }
    // From here `live` serves the new generation; `fresh` holds the old one.
    if (auto promoted = gens.promote(dir); !promoted) {
        // The new generation serves until the process stops; the next start opens the old one and catches up.
        return std::unexpected(
            error{errc::local_store, "the rebuilt views could not be made current: " + promoted.error()});
    }
    fresh->reset();
    gens.remove_others();
    return {};
}

} // namespace salonq::projections
