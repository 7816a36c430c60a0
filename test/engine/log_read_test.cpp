// log::read_before over a log whose offsets have gaps, as a Kafka topic's do (transaction markers and aborted records
// are not records): it never shows a record at or past `to`, which a plain read does when few records lie before it.

#include "engine/log/log.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

namespace {

using namespace salonq::engine;

// One partition holding records at the given offsets only.
class gapped_reader final : public log::reader {
public:
    explicit gapped_reader(std::vector<std::int64_t> offsets) : offsets_(std::move(offsets)) {}
    [[nodiscard]] std::int32_t partition_count() const override { return 1; }
    [[nodiscard]] std::expected<std::vector<log::record>, log::error> read(partition_id p, offset_t from,
                                                                           std::size_t max) override {
        std::vector<log::record> out;
        for (auto const o : offsets_) {
            if (o >= from.value() && out.size() < max) {
                out.push_back(log::record{p, offset_t{o}, "s", "{}"});
            }
        }
        return out;
    }
    [[nodiscard]] std::expected<offset_t, log::error> end_offset(partition_id /*p*/) override {
        return offset_t{offsets_.back() + 2}; // a commit marker after the last record
    }

private:
    std::vector<std::int64_t> offsets_;
};

std::vector<std::int64_t> offsets_of(std::vector<log::record> const& records) {
    std::vector<std::int64_t> out;
    std::ranges::transform(records, std::back_inserter(out), [](auto const& r) { return r.offset.value(); });
    return out;
}

} // namespace

TEST_CASE("log::read_before: records in [from, to) only, however the offsets are spread") {
    gapped_reader events{{0, 1, 3, 4, 6, 7, 9}};
    partition_id const p{0};
    // Three offsets below 6 hold two records: a plain read of three shows the one at 6 too.
    CHECK(offsets_of(events.read(p, offset_t{3}, 3).value()) == std::vector<std::int64_t>{3, 4, 6});
    CHECK(offsets_of(log::read_before(events, p, offset_t{3}, offset_t{6}, 100).value()) ==
          std::vector<std::int64_t>{3, 4});
    CHECK(offsets_of(log::read_before(events, p, offset_t{2}, offset_t{10}, 3).value()) ==
          std::vector<std::int64_t>{3, 4, 6});
    CHECK(log::read_before(events, p, offset_t{5}, offset_t{6}, 100).value().empty()); // only a marker there
    CHECK(log::read_before(events, p, offset_t{6}, offset_t{6}, 100).value().empty());
    CHECK(log::read_before(events, p, offset_t{8}, offset_t{3}, 100).value().empty());
}
