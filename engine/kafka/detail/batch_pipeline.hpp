#pragma once

#include "engine/kafka/detail/batch.hpp"
#include "engine/kafka/detail/pending_outcomes.hpp"
#include "engine/kafka/detail/runtime_shared.hpp"
#include "engine/kafka/errc.hpp"
#include "engine/runtime/checkpoint_sweep.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace salonq::engine::kafka::detail {

// The deciding thread's side of the batch pipeline: the open batch, being decided, and whether the committer has
// the one before (in flight). Each keeps the salons' states as they were before it changed them, so that a batch
// given up puts them back in the state cache: the open batch was decided on top of the one in flight, so both go
// together. What else moves with a batch moves here too: its commands' dedupe keys (pending_outcomes) and its share
// of the checkpoint (checkpoint_sweep), both held by the worker. The open batch is due once `interval` has passed
// since its first command, or at once when it holds `max_batch` commands. No I/O: the worker hands the closed batch
// to the committer and reports back the committer's result (settle). Deciding thread only.
class batch_pipeline {
public:
    using clock = std::chrono::steady_clock;
    struct limits {
        clock::duration interval{};
        std::size_t max_batch = 0;
    };

    batch_pipeline(limits l, state_cache& states, pending_outcomes& pending, checkpoint_sweep& sweep)
        : limits_(l), states_(states), pending_(pending), sweep_(sweep) {}

    // ---- the open batch --------------------------------------------------------------------------------------------

    // The batch the next command is decided into.
    [[nodiscard]] kafka_batch& open() noexcept { return open_; }
    [[nodiscard]] bool empty() const noexcept { return open_.empty(); }
    [[nodiscard]] bool full() const noexcept { return open_.commands >= limits_.max_batch; }
    // A salon about to change: its state before the open batch touched it (null: none), kept the first time only.
    void keep_prior(std::string const& salon, salon_state const* before);
    // A command message decided at `started` counts in the open batch: its offset is committed with it.
    void count(std::int32_t partition, std::int64_t offset, clock::time_point started);
    [[nodiscard]] clock::time_point opened_at() const noexcept { return opened_at_; }
    // Until the open batch is due by age (negative once it is). Precondition: not empty().
    [[nodiscard]] clock::duration time_left(clock::time_point now) const { return opened_at_ + limits_.interval - now; }
    [[nodiscard]] bool due(clock::time_point now) const;

    // ---- handing it over -------------------------------------------------------------------------------------------

    // Closes the open batch for the committer: its share of the checkpoint, with those salons' states as they stand
    // now. Then submitted() with the number the committer gave it. Precondition: nothing in flight.
    [[nodiscard]] kafka_batch close(clock::time_point now);
    void submitted(std::uint64_t number);
    [[nodiscard]] bool in_flight() const noexcept { return in_flight_; }
    // The committer's result for the batch in flight (if one is: it is passed through otherwise). A failed batch
    // keeps its prior states and keys for restore_prior().
    [[nodiscard]] std::expected<void, error> settle(std::expected<void, error> result);
    // Gives up the open batch and the failed one in flight: their salons go back to the states before them.
    void restore_prior();

private:
    // The salons a batch touched, as they were before it.
    using prior_states = std::map<std::string, std::optional<salon_state>>;

    limits limits_;
    state_cache& states_;
    pending_outcomes& pending_;
    checkpoint_sweep& sweep_;
    kafka_batch open_;
    clock::time_point opened_at_{};
    prior_states open_prior_;
    prior_states flight_prior_; // of the batch the committer has
    bool in_flight_ = false;    // submitted, its result not settled yet
};

} // namespace salonq::engine::kafka::detail
