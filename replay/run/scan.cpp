#include "replay/run/scan.hpp"

#include "engine/codec/event_codec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace salonq::replay {
namespace {

constexpr std::uint64_t undecodable_named = 5; // the first few are named on stderr; the count covers the rest

// What the scan does with one record, shared by the partitions' loops.
class entry_filter {
public:
    entry_filter(selection const& s, sink& out, scan_result& result) : s_(s), out_(out), result_(result) {}

    void take(engine::log::record_view const& r) {
        replayed const item{r.partition.value(), r.offset.value(), r.value};
        if (s_.filters()) {
            auto const e = envelopes_.peek(r.value);
            if (!e) {
                undecodable(item, "not an entry's JSON");
                return;
            }
            if (!s_.wants(*e)) {
                return;
            }
        }
        if (!out_.needs_entry()) {
            out_.take(item, nullptr);
            ++result_.written;
            return;
        }
        auto entry = engine::codec::decode_entry(r.value);
        if (!entry) {
            undecodable(item, entry.error().message);
            return;
        }
        out_.take(item, &*entry);
        ++result_.written;
    }

private:
    void undecodable(replayed const& r, std::string const& why) {
        if (++result_.undecodable <= undecodable_named) {
            fmt::print(stderr, "replay: skipped the entry at partition {} offset {}: {}\n", r.partition, r.offset, why);
        }
    }

    selection const& s_;
    sink& out_;
    scan_result& result_;
    envelope_reader envelopes_;
};

} // namespace

std::uint64_t scan_plan::total() const {
    std::uint64_t sum = 0;
    for (auto const& r : ranges) {
        sum += static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.to - r.from));
    }
    return sum;
}

std::expected<scan_plan, std::string> plan_scan(engine::log::reader& log, selection const& s) {
    scan_plan plan;
    for (auto const p : s.partitions(log.partition_count())) {
        auto end = log.end_offset(engine::partition_id{p});
        if (!end) {
            return std::unexpected(fmt::format("partition {}: {}", p, end.error().message));
        }
        auto const asked = s.range(p);
        plan.ranges.push_back({p, asked.from, std::min(asked.to.value_or(end->value()), end->value())});
    }
    return plan;
}

std::expected<scan_result, std::string> scan(engine::log::reader& log, scan_plan const& plan, selection const& s,
                                             sink& out, progress& shown) {
    scan_result result;
    entry_filter filter{s, out, result};
    for (auto const& range : plan.ranges) {
        auto const p = engine::partition_id{range.partition};
        auto seen = log.visit(p, engine::offset_t{range.from}, engine::offset_t{range.to},
                              [&](engine::log::record_view const& r) {
                                  filter.take(r);
                                  shown.tick(++result.read);
                                  return true;
                              });
        if (!seen) {
            return std::unexpected(fmt::format("partition {}: {}", p.value(), seen.error().message));
        }
    }
    return result;
}

} // namespace salonq::replay
