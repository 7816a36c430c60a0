// The worker's partition ownership (engine/kafka/detail/ownership.hpp): the partitions it decides, and what the
// rebalance callbacks leave for its loop (a failure to return, a rewind to do).

#include "engine/kafka/detail/ownership.hpp"

#include "engine/kafka/settings.hpp"

#include <doctest/doctest.h>

#include <string>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace ownership_test {

namespace {

using namespace salonq::engine::kafka;
using detail::partition_ownership;

} // namespace

TEST_CASE("partition ownership: the owned partitions of salonq.commands, for their committed offsets") {
    partition_ownership o;
    CHECK(o.owns_none());
    CHECK(o.owned_list()->cnt == 0);
    o.took_over(3);
    o.took_over(1);
    o.took_over(2);
    o.handed_over(2);
    CHECK(o.owns(1));
    CHECK_FALSE(o.owns(2));
    auto const list = o.owned_list();
    REQUIRE(list->cnt == 2);
    for (int i = 0; i < list->cnt; ++i) {
        CHECK(std::string{list->elems[i].topic} == commands_topic);
        CHECK(list->elems[i].offset == RD_KAFKA_OFFSET_INVALID); // to be filled in by the query
    }
    CHECK(list->elems[0].partition == 1);
    CHECK(list->elems[1].partition == 3);
}

TEST_CASE("partition ownership: what a callback leaves for the loop") {
    partition_ownership o;
    CHECK_FALSE(o.ever_assigned());
    o.assigned();
    CHECK(o.ever_assigned());

    CHECK_FALSE(o.failure().has_value());
    o.fail(error{errc::retryable, "first"});
    o.fail(error{errc::local_store, "second"});
    REQUIRE(o.failure().has_value());
    CHECK(o.failure()->code == errc::local_store);

    CHECK_FALSE(o.rewind_needed());
    o.rewind_later();
    CHECK(o.rewind_needed());
    o.rewinding();
    CHECK_FALSE(o.rewind_needed());

    CHECK_FALSE(o.closing());
    o.close();
    CHECK(o.closing());
}

} // namespace ownership_test
