#pragma once

// When the POSTs waiting for their decisions give up waiting (decision_wait, then 202): one timer for all of them.
// A timer per request was armed, then cancelled from the engine's side by way of a strand of its own, for every
// command: a strand, a timer, three handlers and the timer queue's churn for each walk-in. Every wait has the same
// length, so deadlines come in the order they are set; the sweep ends those that are due and sleeps until the oldest
// left, at least `tick` at a time (a 202 comes up to a tick late). A waiter that was answered stays in line, as a
// weak pointer, until its deadline passes. Thread-safe.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>

namespace salonq::api::http {

class decision_deadlines {
public:
    using clock = std::chrono::steady_clock;

    // What waits: told once its deadline passes, if it is still there.
    class waiter {
    public:
        virtual ~waiter() = default;
        virtual void deadline_passed() = 0;
    };

    explicit decision_deadlines(boost::asio::any_io_executor const& executor,
                                std::chrono::milliseconds tick = std::chrono::milliseconds{5});

    void watch(std::weak_ptr<waiter> w, clock::time_point deadline);
    // Forgets every waiter and stops the timer: the server has no connection left to answer.
    void stop();

private:
    void arm(clock::time_point at); // with mutex_ held
    void sweep();

    std::mutex mutex_;
    std::deque<std::pair<clock::time_point, std::weak_ptr<waiter>>> line_;
    boost::asio::steady_timer timer_;
    std::chrono::milliseconds tick_;
    bool armed_ = false;
};

} // namespace salonq::api::http
