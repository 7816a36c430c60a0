#include "engine/log/log.hpp"

#include <algorithm>
#include <vector>

namespace salonq::engine::log {

std::expected<void, error> reader::visit(partition_id p, offset_t from, offset_t to, record_visitor const& see) {
    constexpr std::int64_t batch = 4096;
    while (from < to) {
        auto records = read(p, from, static_cast<std::size_t>(std::min(batch, to.value() - from.value())));
        if (!records) {
            return std::unexpected(records.error());
        }
        if (records->empty()) {
            return {}; // nothing more below `to` (a Kafka log's last offsets may be transaction markers)
        }
        for (auto const& r : *records) {
            if (r.offset >= to || !see(record_view{r.partition, r.offset, r.key, r.value})) {
                return {};
            }
        }
        from = offset_t{records->back().offset.value() + 1};
    }
    return {};
}

std::expected<std::vector<record>, error> read_before(reader& events, partition_id p, offset_t from, offset_t to,
                                                      std::size_t max) {
    if (from >= to) {
        return std::vector<record>{};
    }
    auto records = events.read(p, from, std::min(max, static_cast<std::size_t>(to.value() - from.value())));
    if (records) {
        std::erase_if(*records, [to](record const& r) { return r.offset >= to; });
    }
    return records;
}

} // namespace salonq::engine::log
