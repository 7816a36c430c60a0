#include "projections/queue/join_board.hpp"

namespace salonq::projections {

void join_board::post(engine::salon_id const& salon, std::uint64_t seq, told wait) {
    std::lock_guard lock{mutex_};
    auto k = key{salon.value(), seq};
    if (!entries_.insert_or_assign(k, wait).second) {
        return; // posted again (an apply retried): one place in the order, so that pushing out erases it once
    }
    order_.push_back(std::move(k));
    while (order_.size() > capacity_) {
        entries_.erase(order_.front());
        order_.pop_front();
    }
}

std::optional<join_board::told> join_board::take(engine::salon_id const& salon, std::uint64_t seq) {
    std::lock_guard lock{mutex_};
    auto const it = entries_.find(key{salon.value(), seq});
    if (it == entries_.end()) {
        return std::nullopt;
    }
    auto const wait = it->second;
    entries_.erase(it);
    taken_.fetch_add(1, std::memory_order_relaxed);
    return wait;
}

} // namespace salonq::projections
