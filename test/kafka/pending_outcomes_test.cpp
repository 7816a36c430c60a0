// The worker's commands decided but not yet in RocksDB (engine/kafka/detail/pending_outcomes.hpp): a repeat of one
// is a duplicate until the storing thread has written its batch, and forgotten when its batch is abandoned.

#include "engine/kafka/detail/pending_outcomes.hpp"

#include <doctest/doctest.h>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace pending_outcomes_test {

using salonq::engine::kafka::detail::pending_outcomes;

TEST_CASE("pending outcomes: a batch's commands are pending from decided until stored") {
    pending_outcomes p;
    p.decided("s1/a");
    p.decided("s1/b");
    p.submitted(1);
    p.decided("s2/c"); // into the next open batch
    CHECK(p.contains("s1/a"));
    p.committed();
    p.stored_through(0);
    CHECK(p.contains("s1/b"));
    p.stored_through(1);
    CHECK_FALSE(p.contains("s1/a"));
    CHECK_FALSE(p.contains("s1/b"));
    CHECK(p.contains("s2/c"));
}

TEST_CASE("pending outcomes: an abandoned batch's commands are forgotten, a committed one's are kept") {
    pending_outcomes p;
    p.decided("k1");
    p.submitted(1);
    p.committed(); // batch 1 committed, not stored yet
    p.decided("k2");
    p.submitted(2);  // batch 2 in flight
    p.decided("k3"); // open
    p.abandoned();   // batch 2 failed: it and the open batch are decided again
    CHECK(p.contains("k1"));
    CHECK_FALSE(p.contains("k2"));
    CHECK_FALSE(p.contains("k3"));
    p.stored_through(2);
    CHECK_FALSE(p.contains("k1"));
}

} // namespace pending_outcomes_test
