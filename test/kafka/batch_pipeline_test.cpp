// The deciding side of the worker's batch pipeline (engine/kafka/detail/batch_pipeline.hpp): the open batch and the
// one in flight each keep the states before them, a batch given up puts them back, and what moves with a batch (its
// dedupe keys, its share of the checkpoint) moves with it.

#include "engine/kafka/detail/batch_pipeline.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace batch_pipeline_test {

namespace {

using namespace salonq::engine;
using namespace salonq::engine::kafka::detail;
using salonq::engine::kafka::state_cache;
using salonq::engine::runtime::checkpoint_sweep;
using namespace std::chrono_literals;
using clock_type = batch_pipeline::clock;

salon_state registered(std::string const& id, std::uint64_t seq) {
    salon_state s;
    s.registered = true;
    s.id = salon_id{id};
    s.seq = seq_t{seq};
    return s;
}

// The worker's parts around one pipeline; checkpoints are due at once.
struct fixture {
    state_cache states;
    pending_outcomes pending;
    checkpoint_sweep sweep{0s, clock_type::time_point{}};
    batch_pipeline pipeline{{5ms, 3}, states, pending, sweep};

    // Decides one command of `salon` into the open batch: its state moves to `seq` (created if new).
    void decide(std::string const& salon, std::uint64_t seq, std::string key, std::int64_t offset) {
        auto it = states.find(salon);
        pipeline.keep_prior(salon, it == states.end() ? nullptr : &it->second);
        states.insert_or_assign(salon, registered(salon, seq));
        pending.decided(std::move(key));
        pipeline.count(0, offset, clock_type::time_point{});
    }
    void submit(std::uint64_t number) {
        (void)pipeline.close(clock_type::time_point{}); // to the committer
        pipeline.submitted(number);
    }
    [[nodiscard]] std::uint64_t seq_of(std::string const& salon) const { return states.at(salon).seq.value(); }
};

} // namespace

TEST_CASE("batch pipeline: giving up puts back the states before the open batch and the failed one in flight") {
    fixture f;
    f.states.emplace("s1", registered("s1", 1));
    f.decide("s1", 2, "s1/a", 10);
    f.decide("s2", 1, "s2/b", 11); // new in the batch
    f.submit(1);
    f.decide("s1", 3, "s1/c", 12); // on top of the batch in flight
    f.decide("s3", 1, "s3/d", 13);
    CHECK(f.pipeline.settle(std::unexpected(kafka::error{kafka::errc::retryable, "aborted"})).error().message ==
          "aborted");
    CHECK_FALSE(f.pipeline.in_flight());

    f.pipeline.restore_prior();
    CHECK(f.seq_of("s1") == 1);
    CHECK_FALSE(f.states.contains("s2"));
    CHECK_FALSE(f.states.contains("s3"));
    CHECK(f.pipeline.empty());
    for (auto const* key : {"s1/a", "s2/b", "s1/c", "s3/d"}) {
        CHECK_FALSE(f.pending.contains(key));
    }
}

TEST_CASE("batch pipeline: once the batch in flight committed, giving up puts back only the open batch's states") {
    fixture f;
    f.states.emplace("s1", registered("s1", 1));
    f.decide("s1", 2, "s1/a", 10);
    f.decide("s2", 1, "s2/b", 11);
    f.submit(1);
    f.decide("s1", 3, "s1/c", 12);
    f.decide("s1", 4, "s1/d", 13); // the state before the open batch is the one kept
    CHECK(f.pipeline.settle({}).has_value());

    f.pipeline.restore_prior();
    CHECK(f.seq_of("s1") == 2);
    CHECK(f.seq_of("s2") == 1);
    CHECK(f.pending.contains("s1/a")); // committed, not stored yet
    CHECK_FALSE(f.pending.contains("s1/c"));
}

TEST_CASE("batch pipeline: a result with nothing in flight passes through") {
    fixture f;
    CHECK(f.pipeline.settle({}).has_value());
    auto const failed = f.pipeline.settle(std::unexpected(kafka::error{kafka::errc::fenced, "fenced"}));
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().code == kafka::errc::fenced);
}

TEST_CASE("batch pipeline: the open batch is due by age or when full, and closes with its offsets and states") {
    fixture f;
    auto const t0 = clock_type::time_point{} + 1s;
    CHECK_FALSE(f.pipeline.due(t0 + 1h)); // empty
    f.states.emplace("s1", registered("s1", 1));
    f.pipeline.keep_prior("s1", &f.states.at("s1"));
    f.pipeline.count(2, 40, t0);
    f.pipeline.count(1, 7, t0 + 1ms);
    f.pipeline.count(2, 41, t0 + 2ms);
    CHECK(f.pipeline.opened_at() == t0);
    CHECK(f.pipeline.time_left(t0 + 2ms) == 3ms);
    CHECK(f.pipeline.full());
    CHECK(f.pipeline.due(t0)); // full

    auto const batch = f.pipeline.close(t0 + 5ms);
    CHECK(f.pipeline.empty());
    CHECK(batch.commands == 3);
    CHECK(batch.next_offsets == std::map<std::int32_t, std::int64_t>{{1, 8}, {2, 42}});
    CHECK(batch.checkpoint_begin); // the sweep began and ended with it: one salon changed
    CHECK(batch.checkpoint);
    REQUIRE(batch.states.size() == 1);
    CHECK(batch.states[0].first == "s1");

    f.pipeline.count(0, 1, t0 + 10ms);
    CHECK_FALSE(f.pipeline.due(t0 + 14ms));
    CHECK(f.pipeline.due(t0 + 15ms));
}

} // namespace batch_pipeline_test
