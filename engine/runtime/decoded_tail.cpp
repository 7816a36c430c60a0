#include "engine/runtime/decoded_tail.hpp"

#include <algorithm>

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
    auto const end = first.value() + static_cast<std::int64_t>(entries.size());
    run added{first.value(), end, std::make_shared<std::vector<log_entry> const>(std::move(entries))};
    std::deque<run> dropped; // freed after the lock is let go
    auto& h = *partitions_[i];
    {
        std::scoped_lock lock{h.mutex};
        if (!h.runs.empty() && h.runs.back().end() != added.first) {
            dropped.swap(h.runs); // not the continuation of what is held: begin again here
            h.count = 0;
        }
        h.count += added.entries->size();
        h.runs.push_back(std::move(added));
        while (h.count - h.runs.front().entries->size() >= capacity_) {
            h.count -= h.runs.front().entries->size();
            dropped.push_back(std::move(h.runs.front()));
            h.runs.pop_front();
        }
    }
}

std::optional<decoded_run> decoded_tail::decoded(partition_id p, offset_t from, offset_t to, std::size_t max) {
    auto const i = static_cast<std::size_t>(p.value());
    if (i >= partitions_.size() || max == 0 || to.value() <= from.value()) {
        return std::nullopt;
    }
    auto const most = static_cast<std::int64_t>(std::min<std::size_t>(max, std::size_t{1} << 30U));
    auto last = std::min(to.value(), from.value() + most);
    std::vector<run> taken; // the runs that hold [from, last), taken under the lock and read after it
    {
        auto& h = *partitions_[i];
        std::scoped_lock lock{h.mutex};
        if (h.runs.empty() || from.value() < h.runs.front().first || from.value() > h.runs.back().end()) {
            return std::nullopt; // not held: the log answers
        }
        if (from.value() == h.runs.back().end()) {
            return decoded_run{p, {}, from}; // nothing past what the feed handed on: its next run wakes the reader
        }
        last = std::min(last, h.runs.back().end());
        // The runs are consecutive: the first that ends past `from` by a binary search (at a few walk-ins a batch a
        // partition holds a thousand runs, and a scan of them all was 6.7 % of serve at half the walk-in maximum).
        auto r = std::partition_point(h.runs.begin(), h.runs.end(),
                                      [f = from.value()](run const& k) { return k.end() <= f; });
        for (; r != h.runs.end() && r->first < last; ++r) {
            taken.push_back(*r);
        }
    }
    decoded_run out{p, {}, from};
    out.entries.reserve(static_cast<std::size_t>(last - from.value()));
    for (auto const& r : taken) {
        auto const begin = std::max(from.value(), r.first);
        auto const end = std::min(last, r.end());
        for (auto o = begin; o < end; ++o) {
            out.entries.emplace_back(offset_t{o}, (*r.entries)[static_cast<std::size_t>(o - r.first)]);
        }
        out.end = offset_t{end};
    }
    return out;
}

} // namespace salonq::engine::runtime
