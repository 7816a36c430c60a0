#include "api/http/decision_deadlines.hpp"

#include <algorithm>
#include <vector>

namespace salonq::api::http {

decision_deadlines::decision_deadlines(boost::asio::any_io_executor const& executor, std::chrono::milliseconds tick)
    : timer_(executor), tick_(tick) {}

void decision_deadlines::watch(std::weak_ptr<waiter> w, clock::time_point deadline) {
    std::scoped_lock lock{mutex_};
    line_.emplace_back(deadline, std::move(w));
    if (!armed_) {
        arm(deadline);
    }
}

void decision_deadlines::stop() {
    std::scoped_lock lock{mutex_};
    line_.clear();
    timer_.cancel();
    armed_ = false;
}

void decision_deadlines::arm(clock::time_point at) {
    armed_ = true;
    timer_.expires_at(at);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            sweep();
        }
    });
}

void decision_deadlines::sweep() {
    std::vector<std::shared_ptr<waiter>> due;
    {
        std::scoped_lock lock{mutex_};
        armed_ = false;
        auto const now = clock::now();
        while (!line_.empty() && line_.front().first <= now) {
            if (auto w = line_.front().second.lock()) {
                due.push_back(std::move(w));
            }
            line_.pop_front();
        }
        if (!line_.empty()) {
            arm(std::max(line_.front().first, now + tick_));
        }
    }
    for (auto const& w : due) {
        w->deadline_passed();
    }
}

} // namespace salonq::api::http
