#include "replay/run/scan.hpp"

#include "replay/run/entry_filter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace salonq::replay {

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
