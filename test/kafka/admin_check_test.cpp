// The checks a worker makes of the topics before it starts (engine/kafka/admin.hpp), on layouts as
// describe_topics reports them: no broker needed.

#include "engine/kafka/admin.hpp"

#include <doctest/doctest.h>

#include <string>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace admin_check_test {

namespace {

using namespace salonq::engine::kafka;

topic_layout with_snapshots(std::optional<std::int64_t> limit, std::string unknown_because = {}) {
    topic_layout l;
    l.commands = 2;
    l.events = 2;
    l.snapshots = 2;
    l.snapshots_max_message_bytes = limit;
    l.snapshots_limit_unknown_because = std::move(unknown_because);
    return l;
}

bool says(error const& e, std::string const& text) { return e.message.find(text) != std::string::npos; }

} // namespace

TEST_CASE("snapshot record limit: a limit large enough passes, a smaller one is misconfigured") {
    CHECK(check_snapshot_record_limit(with_snapshots(max_record_bytes)));
    CHECK(check_snapshot_record_limit(with_snapshots(std::int64_t{max_record_bytes} * 2)));

    auto const small = check_snapshot_record_limit(with_snapshots(1'048'588));
    REQUIRE_FALSE(small);
    CHECK(small.error().code == errc::misconfigured);
    CHECK_MESSAGE(says(small.error(), "salonq.snapshots takes records of up to 1048588 bytes"), small.error().message);
    CHECK_MESSAGE(says(small.error(), "salonq topics create"), small.error().message);

    auto const one_short = check_snapshot_record_limit(with_snapshots(max_record_bytes - 1));
    REQUIRE_FALSE(one_short);
    CHECK(one_short.error().code == errc::misconfigured);
}

TEST_CASE("snapshot record limit: an existing topic whose limit is unknown is not accepted") {
    auto const unknown =
        check_snapshot_record_limit(with_snapshots(std::nullopt, "no answer to DescribeConfigs (tried 4 times)"));
    REQUIRE_FALSE(unknown);
    // Nothing is known to be wrong with the topic: the caller starts again later rather than fix a setting.
    CHECK(unknown.error().code == errc::retryable);
    CHECK_MESSAGE(says(unknown.error(), "salonq.snapshots: the cluster did not tell its max.message.bytes"),
                  unknown.error().message);
    CHECK_MESSAGE(says(unknown.error(), "no answer to DescribeConfigs (tried 4 times)"), unknown.error().message);
    CHECK_MESSAGE(says(unknown.error(), "start again"), unknown.error().message);

    // Without a reason recorded it is refused all the same.
    auto const no_reason = check_snapshot_record_limit(with_snapshots(std::nullopt));
    REQUIRE_FALSE(no_reason);
    CHECK(no_reason.error().code == errc::retryable);
}

TEST_CASE("snapshot record limit: a snapshots topic not created yet passes") {
    topic_layout l;
    l.commands = 2;
    l.events = 2;
    CHECK(check_snapshot_record_limit(l));
}

} // namespace admin_check_test
