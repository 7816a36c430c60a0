#pragma once

#include "notify/store/notify_store.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

namespace salonq::notify {

// The pending deliveries in memory: by id, and in the order senders take them (due first, then the event's seq, so
// a fold's notifications, all due at once, go in event order: "s1:10:..." after "s1:9:..."). notify_store keeps it
// in step with the outbox on disk. The order is kept as deliveries come and go, so a sender's pass reads only what
// is due, and the next due time is the first entry a sender may take: with a dead receiver's thousands of retries
// waiting, every pass once copied, parsed and sorted all of them under the store's lock.
//
// Not thread-safe: notify_store holds its lock around every call.
class outbox {
public:
    // Adds a delivery, or replaces the one with its id (a retry's new due time and attempt count).
    void put(delivery d);
    void erase(std::string const& id);
    [[nodiscard]] delivery const* find(std::string const& id) const;
    [[nodiscard]] bool contains(std::string const& id) const { return by_id_.contains(id); }
    [[nodiscard]] std::size_t size() const noexcept { return by_id_.size(); }
    [[nodiscard]] std::size_t count(engine::salon_id const& salon) const;

    // Calls `visit` with each delivery in the order senders take them, until it returns false.
    void in_due_order(std::function<bool(delivery const&)> const& visit) const;

private:
    using order_key = std::tuple<engine::instant, std::uint64_t, std::string_view>; // due, seq, id
    [[nodiscard]] static order_key key_of(delivery const& d);

    std::map<std::string, delivery, std::less<>> by_id_;
    std::set<order_key> due_order_; // its ids view the keys of by_id_
    std::map<std::string, std::size_t, std::less<>> per_salon_;
};

} // namespace salonq::notify
