#include "notify/store/outbox.hpp"

#include "notify/derive/notification.hpp"

namespace salonq::notify {

outbox::order_key outbox::key_of(delivery const& d) {
    auto const parsed = parse_notification_id(d.id);
    return {d.due, parsed ? parsed->seq : 0, d.id};
}

void outbox::put(delivery d) {
    erase(d.id);
    auto const at = by_id_.emplace(d.id, std::move(d)).first;
    auto const key = key_of(at->second);
    auto& line = per_salon_[at->second.salon.value()];
    if (!line.empty() && key < *line.begin()) {
        firsts_.erase(*line.begin());
    }
    line.insert(key);
    firsts_.insert(*line.begin());
}

void outbox::erase(std::string const& id) {
    auto const it = by_id_.find(id);
    if (it == by_id_.end()) {
        return;
    }
    auto const key = key_of(it->second);
    auto const salon = per_salon_.find(it->second.salon.value());
    auto& line = salon->second;
    if (key == *line.begin()) {
        firsts_.erase(key);
        line.erase(line.begin());
        if (!line.empty()) {
            firsts_.insert(*line.begin());
        }
    } else {
        line.erase(key);
    }
    if (line.empty()) {
        per_salon_.erase(salon);
    }
    by_id_.erase(it); // last: the keys above view its id
}

delivery const* outbox::find(std::string const& id) const {
    auto const it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
}

std::size_t outbox::count(engine::salon_id const& salon) const {
    auto const it = per_salon_.find(salon.value());
    return it == per_salon_.end() ? 0 : it->second.size();
}

void outbox::firsts_in_order(std::function<bool(delivery const&)> const& visit) const {
    for (auto const& key : firsts_) {
        if (!visit(by_id_.find(std::get<2>(key))->second)) {
            return;
        }
    }
}

} // namespace salonq::notify
