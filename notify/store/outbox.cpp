#include "notify/store/outbox.hpp"

#include "notify/derive/notification.hpp"

namespace salonq::notify {

outbox::order_key outbox::key_of(delivery const& d) {
    auto const parsed = parse_notification_id(d.id);
    return {d.due, parsed ? parsed->seq : 0, d.id};
}

void outbox::put(delivery d) {
    erase(d.id);
    ++per_salon_[d.salon.value()];
    auto const [at, added] = by_id_.emplace(d.id, std::move(d));
    due_order_.insert(key_of(at->second)); // its id views the stored delivery's
}

void outbox::erase(std::string const& id) {
    auto const it = by_id_.find(id);
    if (it == by_id_.end()) {
        return;
    }
    due_order_.erase(key_of(it->second));
    if (auto const salon = per_salon_.find(it->second.salon.value());
        salon != per_salon_.end() && --salon->second == 0) {
        per_salon_.erase(salon);
    }
    by_id_.erase(it);
}

delivery const* outbox::find(std::string const& id) const {
    auto const it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

std::size_t outbox::count(engine::salon_id const& salon) const {
    auto const it = per_salon_.find(salon.value());
    return it == per_salon_.end() ? 0 : it->second;
}

void outbox::in_due_order(std::function<bool(delivery const&)> const& visit) const {
    for (auto const& key : due_order_) {
        if (!visit(by_id_.find(std::get<2>(key))->second)) {
            return;
        }
    }
}

} // namespace salonq::notify
