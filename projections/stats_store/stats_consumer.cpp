#include "projections/stats_store/stats_consumer.hpp"

#include "engine/runtime/thread_role.hpp"
#include "projections/stats_store/stats_log.hpp"

namespace salonq::projections::stats_store {

stats_consumer::stats_consumer(stats_store& store, engine::log::reader& events, std::chrono::milliseconds poll)
    : store_(store), events_(events), pacer_(poll), thread_([this] {
          engine::runtime::set_thread_role("salonq-stats", engine::runtime::thread_role::background);
          consume();
      }) {}

stats_consumer::~stats_consumer() { stop(); }

void stats_consumer::wake() { pacer_.wake(); }

void stats_consumer::stop() {
    pacer_.stop();
    if (thread_.joinable()) {
        thread_.join();
        if (auto done = store_.checkpoint(); !done) {
            stats_log().error(
                "the stats' last checkpoint failed (the next start folds the log from the one before): {}",
                done.error());
        }
    }
}

void stats_consumer::consume() {
    logging::throttle failing; // a full disk fails every read: one line a minute
    for (;;) {
        auto const started = engine::runtime::read_pacer::clock::now();
        if (auto caught = store_.catch_up(events_); !caught) {
            stats_log().throttled(logging::level::error, failing, caught.error(),
                                  "the stats could not fold the events log (retrying): " + caught.error());
        }
        if (!pacer_.wait(started)) {
            return;
        }
    }
}

} // namespace salonq::projections::stats_store
