#include "api/http/shared_state.hpp"

#include "api/http/session.hpp"

#include <vector>

namespace salonq::api::http {

bool shared_state::join(std::shared_ptr<session> const& s) {
    std::lock_guard lock(mutex_);
    if (sessions_.size() >= options_.max_connections) {
        return false;
    }
    sessions_.emplace(s.get(), s);
    return true;
}

void shared_state::leave(session const* s) noexcept {
    std::lock_guard lock(mutex_);
    sessions_.erase(s);
}

std::size_t shared_state::open_sessions() const noexcept {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

void shared_state::shut_down_all() {
    std::vector<std::shared_ptr<session>> live;
    {
        std::lock_guard lock(mutex_);
        for (auto const& [key, weak] : sessions_) {
            if (auto s = weak.lock()) {
                live.push_back(std::move(s));
            }
        }
    }
    for (auto const& s : live) { // outside the lock: a session may leave meanwhile
        s->shut_down();
    }
}

} // namespace salonq::api::http
