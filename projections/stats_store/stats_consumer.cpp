#include "projections/stats_store/stats_consumer.hpp"

#include "engine/logging/logger.hpp"

namespace salonq::projections::stats_store {
namespace {

logging::logger const& log() {
    static logging::logger const l{"stats"};
    return l;
}

} // namespace

stats_consumer::stats_consumer(stats_store& store, engine::log::reader& events, std::chrono::milliseconds poll)
    : store_(store), events_(events), poll_(poll), thread_([this] { consume(); }) {}

stats_consumer::~stats_consumer() { stop(); }

void stats_consumer::wake() {
    {
        std::lock_guard lock{mutex_};
        new_events_ = true;
    }
    woken_.notify_one();
}

void stats_consumer::stop() {
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    woken_.notify_one();
    if (thread_.joinable()) {
        thread_.join();
        if (auto done = store_.checkpoint(); !done) {
            log().error("the stats' last checkpoint failed (the next start folds the log from the one before): {}",
                        done.error());
        }
    }
}

void stats_consumer::consume() {
    for (;;) {
        if (auto caught = store_.catch_up(events_); !caught) {
            log().error("the stats could not fold the events log (retrying): {}", caught.error());
        }
        std::unique_lock lock{mutex_};
        woken_.wait_for(lock, poll_, [this] { return new_events_ || stopping_; });
        if (stopping_) {
            return;
        }
        new_events_ = false;
    }
}

} // namespace salonq::projections::stats_store
