#include "api/gateway/outcome_waiters.hpp"

namespace salonq::api {

std::string outcome_waiters::key(engine::salon_id const& salon, engine::command_id const& command) {
    std::string k = salon.value();
    k.push_back('\0'); // never in an id
    k += command.value();
    return k;
}

void outcome_waiters::add(std::string key, command_gateway::completion done, clock::time_point deadline) {
    std::scoped_lock lock{mutex_};
    waiting_[std::move(key)].push_back(waiter{std::move(done), deadline});
}

bool outcome_waiters::waiting(std::string const& key) const {
    std::scoped_lock lock{mutex_};
    return waiting_.contains(key);
}

std::vector<command_gateway::completion> outcome_waiters::take(std::string const& key) {
    std::vector<command_gateway::completion> out;
    std::scoped_lock lock{mutex_};
    if (auto it = waiting_.find(key); it != waiting_.end()) {
        for (auto& w : it->second) {
            out.push_back(std::move(w.done));
        }
        waiting_.erase(it);
    }
    return out;
}

std::vector<command_gateway::completion> outcome_waiters::expire(clock::time_point now) {
    std::vector<command_gateway::completion> out;
    std::scoped_lock lock{mutex_};
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        std::erase_if(it->second, [&](waiter& w) {
            if (w.deadline > now) {
                return false;
            }
            out.push_back(std::move(w.done));
            return true;
        });
        it = it->second.empty() ? waiting_.erase(it) : std::next(it);
    }
    return out;
}

std::vector<command_gateway::completion> outcome_waiters::take_all() { return expire(clock::time_point::max()); }

bool outcome_waiters::empty() const {
    std::scoped_lock lock{mutex_};
    return waiting_.empty();
}

} // namespace salonq::api
