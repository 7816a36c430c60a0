#include "loyalty/run/loyalty_consumer.hpp"

#include "engine/logging/logger.hpp"

namespace salonq::loyalty {

loyalty_consumer::loyalty_consumer(loyalty_store& store, engine::log::reader& events, std::chrono::milliseconds poll)
    : store_(store), events_(events), poll_(poll), thread_([this] { consume(); }) {}

loyalty_consumer::~loyalty_consumer() { stop(); }

void loyalty_consumer::wake() {
    {
        std::lock_guard lock{mutex_};
        new_events_ = true;
    }
    wake_.notify_one();
}

void loyalty_consumer::stop() {
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void loyalty_consumer::consume() {
    static logging::logger const log{"loyalty"};
    std::unique_lock lock{mutex_};
    while (!stopping_) {
        new_events_ = false;
        lock.unlock();
        if (auto caught = store_.catch_up(events_); !caught) {
            log.error("the loyalty consumer could not fold the events log (retrying): {}", caught.error());
        }
        lock.lock();
        wake_.wait_for(lock, poll_, [this] { return new_events_ || stopping_; });
    }
}

} // namespace salonq::loyalty
