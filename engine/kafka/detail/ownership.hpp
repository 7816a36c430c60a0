#pragma once

#include "engine/kafka/detail/handles.hpp"
#include "engine/kafka/errc.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <utility>

namespace salonq::engine::kafka::detail {

// Which partitions of salonq.commands the worker decides, and what the rebalance callbacks leave for its loop.
// librdkafka calls them inside the consumer poll, on the deciding thread, where nothing can be returned or sought:
// a failure they meet is kept for the loop to return (`fail`), and a batch they give up leaves the consumer past it,
// so the loop rewinds to the committed offsets first (`rewind_later`). Once run() has returned (`close`), a callback
// only hands partitions over: what was decided is already committed or given up. The last callbacks may come from
// the thread closing the consumer (~worker), after run() returned: one thread at a time, so no locks.
class partition_ownership {
public:
    // An assignment arrived (whether or not the take-over succeeds).
    void assigned() noexcept { ever_assigned_ = true; }
    [[nodiscard]] bool ever_assigned() const noexcept { return ever_assigned_; }

    void took_over(std::int32_t p) { owned_.insert(p); }
    void handed_over(std::int32_t p) { owned_.erase(p); }
    [[nodiscard]] bool owns(std::int32_t p) const { return owned_.contains(p); }
    [[nodiscard]] bool owns_none() const noexcept { return owned_.empty(); }
    // The owned partitions of salonq.commands, for a query of their committed offsets.
    [[nodiscard]] partition_list_ptr owned_list() const;

    // A callback failed: the loop returns this error (the latest one kept).
    void fail(error e) { failure_ = std::move(e); }
    [[nodiscard]] std::optional<error> const& failure() const noexcept { return failure_; }

    // A callback gave up a batch: the consumer is past it until the loop rewinds.
    void rewind_later() noexcept { rewind_needed_ = true; }
    [[nodiscard]] bool rewind_needed() const noexcept { return rewind_needed_; }
    void rewinding() noexcept { rewind_needed_ = false; }

    // run() has returned: callbacks from now on only hand partitions over.
    void close() noexcept { closing_ = true; }
    [[nodiscard]] bool closing() const noexcept { return closing_; }

private:
    std::set<std::int32_t> owned_;
    bool ever_assigned_ = false;
    std::optional<error> failure_;
    bool rewind_needed_ = false;
    bool closing_ = false;
};

} // namespace salonq::engine::kafka::detail
