#pragma once

#include "engine/domain/strong.hpp"
#include "engine/domain/time.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace salonq::projections {

struct queue_view;

// Walk-ins in a row, estimated as appends to the line's schedule (docs/wait-prediction.md, "Walk-ins in a row").
// Estimating a walk-in runs the salon's schedule over the whole line ahead of it: at a thousand busy salons with
// lines of a hundred that was the largest share of serve's CPU per walk-in (bench/RESULTS.md, session 26). A walk-in
// changes nothing ahead of it, only the clock moves; so while the events are walk-ins, one after the other and within
// `walk_in_chain_span` of the chain's first, each new ticket is placed after the schedule's last (kept in
// schedule_cache) and the earlier tickets keep their expected starts, their waits counted down by the time passed (a
// start passed meanwhile becomes now).
// The chain is a function of the events alone: the same at a seq wherever and however often they are folded, and
// whether or not an estimate was worked out at each step (the stats take most of theirs from the views).
struct estimate_basis {
    engine::seq_t seq{0};      // the chain's last walk-in (0: no chain)
    engine::instant at{};      // its time: the "now" of the estimates it left
    engine::seq_t first{0};    // the chain's first walk-in
    engine::instant full_at{}; // that one's time: when the schedule was last run over the whole line
    std::uint32_t line = 0;    // tickets in line then (that walk-in's included); the rest joined since, in order
    friend bool operator==(estimate_basis const&, estimate_basis const&) = default;
};

// A chain is run again over the whole line once its first walk-in is this old, so that the earlier tickets' estimates
// (frozen starts) follow what the clock tells of the tickets in service and of who leaves.
inline constexpr std::chrono::milliseconds walk_in_chain_span{30'000};

// Whether the ticket_issued of `ticket` just folded into `view` (view.seq) continues the chain of `view.basis`: the
// event before it was the chain's last walk-in, the chain is younger than walk_in_chain_span and the ticket joined at
// the end of the line. Moves the basis on either way: a continued chain gets this seq, anything else begins a new
// chain here. The time of the chain's walk-in before this one if it continued.
std::optional<engine::instant> continue_chain(queue_view& view, engine::ticket_id ticket);

// The predictor's schedule after the last ticket of the chain (observed_estimator): per server, when they are free
// in each run. A cache: not stored, and rebuilt from the view and its basis when missing, so two views with the
// same data are equal whether or not either holds one.
struct schedule_cache {
    static constexpr std::size_t lanes = 24; // the runs, as the estimator keeps them
    using lane_times = std::array<std::int32_t, lanes>;
    // A ticket's start over the runs: the median and the likely range's ends, and the share of the runs they were
    // taken from (those before the close).
    struct start_quantiles {
        std::int64_t low = 0;
        std::int64_t median = 0;
        std::int64_t high = 0;
        std::int32_t today_pct = 100;
    };

    engine::seq_t first{0};           // the chain it belongs to (estimate_basis::first)
    std::size_t placed = 0;           // tickets of the line placed in it; every time below is in ms from full_at
    std::vector<std::int64_t> speeds; // per server
    std::vector<std::int32_t> leaves; // per server: no start at or after this
    std::vector<lane_times> free;     // per server
    static constexpr std::int64_t no_close = INT64_MAX;
    std::int64_t closes = no_close;       // no start at or after this (the salon's usual last start), ms from full_at
    std::optional<start_quantiles> ahead; // the last placed ticket's, in ms from full_at: the next starts no sooner
    friend bool operator==(schedule_cache const&, schedule_cache const&) noexcept { return true; }
};

} // namespace salonq::projections
