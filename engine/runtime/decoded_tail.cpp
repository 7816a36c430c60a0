#include "engine/runtime/decoded_tail.hpp"

#include <algorithm>
#include <iterator>

namespace salonq::engine::runtime {

decoded_tail::decoded_tail(log::reader& log, std::size_t capacity)
    : log_(log), capacity_(std::max<std::size_t>(capacity, 1)) {
    auto const count = static_cast<std::size_t>(std::max(0, log_.partition_count()));
    partitions_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        partitions_.push_back(std::make_unique<held>());
    }
}

void decoded_tail::append(partition_id p, offset_t first, std::vector<log_entry> entries) {
    auto const i = static_cast<std::size_t>(p.value());
    if (i >= partitions_.size() || entries.empty()) {
        return;
    }
    auto& h = *partitions_[i];
    std::scoped_lock lock{h.mutex};
    if (h.entries.empty() || h.first + static_cast<std::int64_t>(h.entries.size()) != first.value()) {
        h.entries.clear(); // not the continuation of what is held: begin again here
        h.first = first.value();
    }
    std::ranges::move(entries, std::back_inserter(h.entries));
    if (auto const over = h.entries.size() > capacity_ ? h.entries.size() - capacity_ : 0; over > 0) {
        h.entries.erase(h.entries.begin(), h.entries.begin() + static_cast<std::ptrdiff_t>(over));
        h.first += static_cast<std::int64_t>(over);
    }
}

std::optional<decoded_run> decoded_tail::decoded(partition_id p, offset_t from, offset_t to, std::size_t max) {
    auto const i = static_cast<std::size_t>(p.value());
    if (i >= partitions_.size() || max == 0) {
        return std::nullopt;
    }
    auto& h = *partitions_[i];
    std::scoped_lock lock{h.mutex};
    auto const end = h.first + static_cast<std::int64_t>(h.entries.size());
    if (from.value() < h.first || from.value() >= end || to.value() <= from.value()) {
        return std::nullopt; // not held (or nothing asked): the log answers
    }
    auto const last = std::min({end, to.value(), from.value() + static_cast<std::int64_t>(max)});
    decoded_run run{p, {}, offset_t{last}};
    run.entries.reserve(static_cast<std::size_t>(last - from.value()));
    for (auto o = from.value(); o < last; ++o) {
        run.entries.emplace_back(offset_t{o}, h.entries[static_cast<std::size_t>(o - h.first)]);
    }
    return run;
}

} // namespace salonq::engine::runtime
