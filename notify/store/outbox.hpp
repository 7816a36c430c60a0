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

// The pending deliveries in memory: by id, each salon's in the order senders take them (due first, then the event's
// seq, so a fold's notifications, all due at once, go in event order: "s1:10:..." after "s1:9:..."), and the first of
// each salon in that order. notify_store keeps it in step with the outbox on disk. A salon has one delivery in flight
// at a time, so a sender only ever takes a salon's first: a pass walks the salons' firsts, not their lines. With a
// dead receiver's thousands of retries waiting (one of them in flight), every pass once copied, parsed and sorted
// all of them under the store's lock.
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

    // Calls `visit` with each salon's first delivery, in the order senders take them, until it returns false.
    void firsts_in_order(std::function<bool(delivery const&)> const& visit) const;

private:
    // due, seq, id; the id views the stored delivery's own (map nodes stay put until erased)
    using order_key = std::tuple<engine::instant, std::uint64_t, std::string_view>;
    [[nodiscard]] static order_key key_of(delivery const& d);

    std::map<std::string, delivery, std::less<>> by_id_;
    std::map<std::string, std::set<order_key>, std::less<>> per_salon_; // no empty sets
    std::set<order_key> firsts_;                                        // each salon's first
};

} // namespace salonq::notify
