#include "loyalty/run/loyalty_consumer.hpp"

#include "engine/logging/logger.hpp"
#include "engine/runtime/thread_role.hpp"

namespace salonq::loyalty {

loyalty_consumer::loyalty_consumer(loyalty_store& store, engine::log::reader& events, std::chrono::milliseconds poll)
    : store_(store), events_(events), pacer_(poll), thread_([this] {
          engine::runtime::set_thread_role("salonq-loyalty", engine::runtime::thread_role::background);
          consume();
      }) {}

loyalty_consumer::~loyalty_consumer() { stop(); }

void loyalty_consumer::wake() { pacer_.wake(); }

void loyalty_consumer::stop() {
    pacer_.stop();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void loyalty_consumer::consume() {
    static logging::logger const log{"loyalty"};
    logging::throttle failing; // a full disk fails every read: one line a minute
    for (;;) {
        auto const started = engine::runtime::read_pacer::clock::now();
        if (auto caught = store_.catch_up(events_); !caught) {
            log.throttled(logging::level::error, failing, caught.error(),
                          "the loyalty consumer could not fold the events log (retrying): " + caught.error());
        }
        if (!pacer_.wait(started)) {
            return;
        }
    }
}

} // namespace salonq::loyalty
