#include "api/http/unsettled_commands.hpp"

namespace salonq::api::http {

unsettled_commands::unsettled_commands(std::size_t capacity, std::chrono::minutes keep_failed)
    : capacity_(capacity), keep_failed_(keep_failed) {}

std::string unsettled_commands::key(std::string_view salon, std::string_view command) {
    std::string k{salon};
    k.push_back('\0'); // never in an id
    k.append(command);
    return k;
}

void unsettled_commands::pending(std::string_view salon, std::string_view command, clock::time_point now) {
    put(key(salon, command), state{}, now);
}

void unsettled_commands::settled(std::string_view salon, std::string_view command, std::optional<gateway_error> failure,
                                 clock::time_point now) {
    if (failure) {
        put(key(salon, command), state{std::move(failure)}, now);
        return;
    }
    std::scoped_lock lock{mutex_};
    entries_.erase(key(salon, command)); // its pair in order_ goes stale
}

std::optional<unsettled_commands::state> unsettled_commands::find(std::string_view salon, std::string_view command,
                                                                  clock::time_point now) const {
    std::scoped_lock lock{mutex_};
    auto const it = entries_.find(key(salon, command));
    if (it == entries_.end() || (it->second.what.failure && now - it->second.since > keep_failed_)) {
        return std::nullopt;
    }
    return it->second.what;
}

std::size_t unsettled_commands::size() const {
    std::scoped_lock lock{mutex_};
    return entries_.size();
}

void unsettled_commands::put(std::string k, state s, clock::time_point now) {
    std::scoped_lock lock{mutex_};
    entries_.insert_or_assign(k, entry{std::move(s), now});
    order_.emplace_back(now, std::move(k));
    prune(now);
}

// Drops failures past keep_failed_, and the oldest entries past capacity_ (a pending one too: its terminal then
// reads 404, as after a restart). Pairs whose entry was replaced or erased since are dropped on the way.
void unsettled_commands::prune(clock::time_point now) {
    while (!order_.empty()) {
        auto const& [since, k] = order_.front();
        auto const it = entries_.find(k);
        bool const stale = it == entries_.end() || it->second.since != since;
        bool const expired = !stale && it->second.what.failure && now - since > keep_failed_;
        bool const over = entries_.size() > capacity_;
        if (!stale && !expired && !over && order_.size() <= 2 * capacity_) {
            return;
        }
        if (!stale) {
            entries_.erase(it);
        }
        order_.pop_front();
    }
}

} // namespace salonq::api::http
