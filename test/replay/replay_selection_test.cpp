// What an analyst can ask `salonq replay` for, and how each wrong option is refused by name: times in the forms
// people write them, offsets per partition or for all, types by the codec's names, and which entries a selection
// keeps.

#include "engine/log/partitioner.hpp"
#include "replay/select/selection.hpp"

#include <doctest/doctest.h>

namespace {

using namespace salonq::replay;

constexpr std::int32_t partitions = 12;

selection build(selection_builder& b) {
    auto s = b.build(partitions);
    REQUIRE_MESSAGE(s.has_value(), s.error().option << ": " << s.error().message);
    return *s;
}

selection_error refusal(selection_builder& b) {
    auto s = b.build(partitions);
    REQUIRE_FALSE(s.has_value());
    return s.error();
}

envelope entry(std::string_view type, std::string_view salon, std::string_view at) { return {type, salon, at}; }

} // namespace

TEST_SUITE("replay.selection") {
    TEST_CASE("by default every event is kept and the recorded rejections are not") {
        selection_builder b;
        auto const s = build(b);
        CHECK(s.wants(entry("ticket_issued", "s1", "2026-11-29T09:00:00.000Z")));
        CHECK(s.wants(entry("day_closed", "s2", "2020-01-01T00:00:00.000Z")));
        CHECK_FALSE(s.wants(entry("command_rejected", "s1", "2026-11-29T09:00:00.000Z")));
        CHECK(s.filters()); // leaving rejections out means looking at each entry's type
        CHECK(s.partitions(partitions).size() == partitions);

        selection_builder all;
        all.include_rejections(true);
        auto const everything = build(all);
        CHECK(everything.wants(entry("command_rejected", "s1", "2026-11-29T09:00:00.000Z")));
        CHECK_FALSE(everything.filters()); // the pass-through: no entry is looked into
    }

    TEST_CASE("times: a date, UTC with or without milliseconds, or an offset; [from, to)") {
        selection_builder b;
        b.from_time("2026-11-29").to_time("2026-11-29T10:30:00+01:00");
        auto const s = build(b);
        CHECK_FALSE(s.wants(entry("ticket_issued", "s1", "2026-11-28T23:59:59.999Z")));
        CHECK(s.wants(entry("ticket_issued", "s1", "2026-11-29T00:00:00.000Z")));
        CHECK(s.wants(entry("ticket_issued", "s1", "2026-11-29T09:29:59.999Z")));
        CHECK_FALSE(s.wants(entry("ticket_issued", "s1", "2026-11-29T09:30:00.000Z")));

        selection_builder z;
        z.from_time("2026-11-29T09:30:00Z").to_time("2026-11-29T09:30:00.001Z");
        auto const one_ms = build(z);
        CHECK(one_ms.wants(entry("service_started", "s1", "2026-11-29T09:30:00.000Z")));
        CHECK_FALSE(one_ms.wants(entry("service_started", "s1", "2026-11-29T09:30:00.001Z")));

        selection_builder west;
        west.from_time("2026-11-29T04:00:00.250-05:30");
        CHECK_FALSE(build(west).wants(entry("ticket_issued", "s1", "2026-11-29T09:30:00.249Z")));
        CHECK(build(west).wants(entry("ticket_issued", "s1", "2026-11-29T09:30:00.250Z")));

        // Other fractions (Python's isoformat() writes microseconds): an entry stamped .123 is before .123456, so
        // that instant keeps from .124 on, and ends before .124.
        selection_builder micro;
        micro.from_time("2026-11-29T09:30:00.123456Z").to_time("2026-11-29T10:30:00.5+01:00");
        auto const m = build(micro);
        CHECK_FALSE(m.wants(entry("ticket_issued", "s1", "2026-11-29T09:30:00.123Z")));
        CHECK(m.wants(entry("ticket_issued", "s1", "2026-11-29T09:30:00.124Z")));
        CHECK(m.wants(entry("ticket_issued", "s1", "2026-11-29T09:30:00.499Z")));
        CHECK_FALSE(m.wants(entry("ticket_issued", "s1", "2026-11-29T09:30:00.500Z")));
        selection_builder whole;
        whole.from_time("2026-11-29T09:30:00.123000Z");
        CHECK(build(whole).wants(entry("ticket_issued", "s1", "2026-11-29T09:30:00.123Z")));
    }

    TEST_CASE("refused times name their option") {
        for (auto const* bad : {"yesterday", "2026-13-01", "2026-11-29T25:00:00Z", "2026-11-29T10:00:00+1:00",
                                "2026-11-29T10:00:00+01:99", "2026-11-29 10:00:00", "2026-11-29T10:00:00.Z",
                                "2026-11-29T10:00:00.1234567891Z"}) {
            CAPTURE(bad);
            selection_builder b;
            b.from_time(std::string{bad});
            auto const e = refusal(b);
            CHECK(e.option == "--from");
            CHECK(e.message.find(bad) != std::string::npos);
        }
        selection_builder backwards;
        backwards.from_time("2026-11-29").to_time("2026-11-28");
        CHECK(refusal(backwards).option == "--to");
    }

    TEST_CASE("types by the codec's names; command_rejected alone keeps only the rejections") {
        selection_builder b;
        b.types({"ticket_issued", "service_completed"});
        auto const s = build(b);
        CHECK(s.wants(entry("ticket_issued", "s1", "2026-11-29T09:00:00.000Z")));
        CHECK(s.wants(entry("service_completed", "s1", "2026-11-29T09:00:00.000Z")));
        CHECK_FALSE(s.wants(entry("service_started", "s1", "2026-11-29T09:00:00.000Z")));
        CHECK_FALSE(s.wants(entry("command_rejected", "s1", "2026-11-29T09:00:00.000Z")));

        selection_builder only;
        only.types({"command_rejected"});
        auto const rejections = build(only);
        CHECK(rejections.wants(entry("command_rejected", "s1", "2026-11-29T09:00:00.000Z")));
        CHECK_FALSE(rejections.wants(entry("ticket_issued", "s1", "2026-11-29T09:00:00.000Z")));

        selection_builder wrong;
        wrong.types({"ticket_issued", "walk_in"});
        auto const e = refusal(wrong);
        CHECK(e.option == "--type");
        CHECK(e.message.find("'walk_in'") != std::string::npos);
        CHECK(e.message.find("priority_started") != std::string::npos); // the list of what would do
        CHECK(entry_types().size() == 14);
    }

    TEST_CASE("salons: only theirs, and only their partitions are read") {
        selection_builder b;
        b.salons({"salon-a", "salon-b"});
        auto const s = build(b);
        CHECK(s.wants(entry("ticket_issued", "salon-a", "2026-11-29T09:00:00.000Z")));
        CHECK_FALSE(s.wants(entry("ticket_issued", "salon-c", "2026-11-29T09:00:00.000Z")));
        auto const read = s.partitions(partitions);
        CHECK(read.size() <= 2);
        for (auto const* salon : {"salon-a", "salon-b"}) {
            CHECK(std::ranges::find(read, salonq::engine::log::partition_for(salon, partitions)) != read.end());
        }
        selection_builder bad;
        bad.salons({"no spaces"});
        CHECK(refusal(bad).option == "--salon");
    }

    TEST_CASE("offsets: N for every partition, P:N for one; the narrower bound wins") {
        selection_builder b;
        b.from_offsets({"10", "3:25"}).to_offsets({"100", "3:50", "4:5"});
        auto const s = build(b);
        CHECK(s.range(0).from == 10);
        CHECK(s.range(0).to == 100);
        CHECK(s.range(3).from == 25);
        CHECK(s.range(3).to == 50);
        CHECK(s.range(4).from == 10);
        CHECK(s.range(4).to == 5);

        for (auto const* bad : {"-1", "x", "3:", ":4", "1:2:3", "3:-4"}) {
            CAPTURE(bad);
            selection_builder wrong;
            wrong.from_offsets({bad});
            CHECK(refusal(wrong).option == "--from-offset");
        }
        selection_builder beyond;
        beyond.to_offsets({"12:0"});
        auto const e = refusal(beyond);
        CHECK(e.option == "--to-offset");
        CHECK(e.message.find("0 to 11") != std::string::npos);
    }
}
