// engine::runtime::decoded_tail over a real embedded log: whatever mix of runs it was handed and reads it is asked,
// read_decoded through it answers what the log answers (the first part of it, when the tail holds only that; nothing
// from the end of what it was handed), and a read of entries it holds does not touch the log.

#include "engine/codec/event_codec.hpp"
#include "engine/runtime/consumer_offsets.hpp"
#include "engine/runtime/decoded_tail.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "test/support/commands.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

namespace {

using namespace salonq::engine;
using namespace salonq::test;

// The log, counting the reads that reach it.
class counting_reader final : public log::reader {
public:
    explicit counting_reader(log::reader& log) : log_(log) {}
    std::size_t reads = 0;

    [[nodiscard]] std::int32_t partition_count() const override { return log_.partition_count(); }
    [[nodiscard]] std::expected<std::vector<log::record>, log::error> read(partition_id p, offset_t from,
                                                                           std::size_t max) override {
        ++reads;
        return log_.read(p, from, max);
    }
    [[nodiscard]] std::expected<offset_t, log::error> end_offset(partition_id p) override { return log_.end_offset(p); }
    [[nodiscard]] std::expected<void, log::error> visit(partition_id p, offset_t from, offset_t to,
                                                        log::record_visitor const& see) override {
        ++reads;
        return log_.visit(p, from, to, see);
    }

private:
    log::reader& log_;
};

// What the tail answered is the start of what the log answers (all of it when the tail holds it all): a consumer
// reads on from its end.
bool starts(runtime::decoded_run const& part, runtime::decoded_run const& whole) {
    auto const k = part.entries.size();
    if (part.partition != whole.partition || k > whole.entries.size() ||
        !std::equal(part.entries.begin(), part.entries.end(), whole.entries.begin())) {
        return false;
    }
    return k == whole.entries.size() ? part.end == whole.end : part.end == whole.entries[k].first;
}

// A log of four partitions with a few salons' walk-ins, starts and a rejection or two.
std::unique_ptr<runtime::embedded_engine> filled(temp_dir const& dir) {
    runtime::engine_options options;
    options.partitions = 4;
    options.mode = runtime::durability::relaxed;
    auto engine = runtime::embedded_engine::open(dir.path(), options).value();
    for (int s = 0; s < 6; ++s) {
        auto const salon = "t" + std::to_string(s);
        REQUIRE(engine->submit_sync(make_command(salon + "-reg", salon, register_salon())));
        REQUIRE(engine->submit_sync(make_command(salon + "-svc", salon, set_services({{"HC", "Haircut", 2500, 30}}))));
        REQUIRE(engine->submit_sync(make_command(salon + "-st", salon, add_staff("s1", role::staff, "Stylist"))));
        REQUIRE(engine->submit_sync(make_command(salon + "-in", salon, clock_in("s1"))));
        for (int i = 0; i < 40; ++i) {
            auto const n = std::to_string(i);
            REQUIRE(engine->submit_sync(make_command(salon + "-w" + n, salon, walk_in("C" + n, {"HC"}))));
            if (i % 7 == 3) {
                REQUIRE(engine->submit_sync(make_command(salon + "-x" + n, salon, start("nobody")))); // rejected
            }
        }
    }
    return engine;
}

} // namespace

TEST_CASE("decoded tail: reads through it are the log's, whatever it holds") {
    temp_dir dir;
    auto engine = filled(dir);
    auto& log = engine->events();
    for (std::uint32_t seed = 1; seed <= 40; ++seed) {
        CAPTURE(seed);
        std::mt19937 rng{seed};
        auto const pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution{lo, hi}(rng); };
        counting_reader counted{log};
        runtime::decoded_tail tail{counted, static_cast<std::size_t>(pick(5, 60))};
        std::vector<std::int64_t> handed(4, 0); // how far each partition was handed to the tail
        for (int step = 0; step < 200; ++step) {
            partition_id const p{static_cast<std::int32_t>(pick(0, 3))};
            auto const end = log.end_offset(p).value().value();
            if (pick(0, 2) == 0 && handed[p.value()] < end) { // the feed hands a run on (now and then skipping some)
                auto first = handed[p.value()] + (pick(0, 9) == 0 ? pick(1, 5) : 0);
                first = std::min(first, end - 1);
                auto const n = pick(1, std::min<std::int64_t>(30, end - first));
                auto run = runtime::read_decoded(log, p, offset_t{first}, offset_t{first + n}, 1000, {}).value();
                std::vector<log_entry> entries;
                entries.reserve(run.entries.size());
                for (auto& [at, e] : run.entries) {
                    entries.push_back(std::move(e));
                }
                tail.append(p, offset_t{first}, std::move(entries));
                handed[p.value()] = first + n;
                continue;
            }
            auto const from = pick(0, end + 2);
            auto const to = from + pick(0, 40);
            auto const max = static_cast<std::size_t>(pick(1, 25));
            auto const held = tail.decoded(p, offset_t{from}, offset_t{to}, max).has_value();
            auto const reads = counted.reads;
            auto const through = runtime::read_decoded(tail, p, offset_t{from}, offset_t{to}, max, {}).value();
            auto const direct = runtime::read_decoded(log, p, offset_t{from}, offset_t{to}, max, {}).value();
            CAPTURE(from);
            CAPTURE(to);
            CAPTURE(max);
            CAPTURE(through.end.value());
            CAPTURE(direct.end.value());
            CAPTURE(through.entries.size());
            CAPTURE(direct.entries.size());
            CAPTURE(held);
            if (held && through.entries.empty()) { // at the end of what was handed: nothing yet, whatever the log has
                CHECK(from == handed[p.value()]);
                CHECK(through.end.value() == from);
                CHECK(counted.reads == reads);
            } else if (held) {
                CHECK(starts(through, direct));
                CHECK(counted.reads == reads); // held: the log was not read
            } else {
                CHECK((through.end == direct.end && through.entries == direct.entries));
            }
        }
    }
}

TEST_CASE("decoded tail: it keeps the latest runs of each partition, and begins again after a gap") {
    temp_dir dir;
    auto engine = filled(dir);
    auto& log = engine->events();
    partition_id const p{0};
    auto const all = runtime::read_decoded(log, p, offset_t{0}, offset_t{100}, 100, {}).value();
    REQUIRE(all.entries.size() == 100);
    auto const entries = [&](std::int64_t from, std::int64_t to) {
        std::vector<log_entry> out;
        out.reserve(static_cast<std::size_t>(to - from));
        for (auto i = from; i < to; ++i) {
            out.push_back(all.entries[static_cast<std::size_t>(i)].second);
        }
        return out;
    };
    runtime::decoded_tail tail{log, 8};
    for (std::int64_t first = 0; first < 10; first += 2) {
        tail.append(p, offset_t{first}, entries(first, first + 2));
    }
    CHECK_FALSE(tail.decoded(p, offset_t{1}, offset_t{5}, 10)); // the latest runs of at least 8: 2..9
    auto const held = tail.decoded(p, offset_t{2}, offset_t{100}, 100);
    REQUIRE(held);
    CHECK(held->entries.size() == 8);
    CHECK(held->end.value() == 10);
    CHECK(held->entries.front().first.value() == 2);
    CHECK(held->entries.front().second == all.entries[2].second);
    auto const at_end = tail.decoded(p, offset_t{10}, offset_t{100}, 100); // not handed yet: nothing, for now
    REQUIRE(at_end);
    CHECK(at_end->entries.empty());
    CHECK(at_end->end.value() == 10);
    CHECK_FALSE(tail.decoded(p, offset_t{11}, offset_t{100}, 100)); // past it: the log answers

    tail.append(p, offset_t{12}, entries(12, 14)); // 10 and 11 never came: what it held goes
    CHECK_FALSE(tail.decoded(p, offset_t{9}, offset_t{100}, 100));
    auto const after = tail.decoded(p, offset_t{12}, offset_t{100}, 100);
    REQUIRE(after);
    CHECK(after->entries.size() == 2);
    CHECK(after->entries.back().second == all.entries[13].second);
    CHECK_FALSE(tail.decoded(partition_id{9}, offset_t{0}, offset_t{1}, 1)); // no such partition
}
