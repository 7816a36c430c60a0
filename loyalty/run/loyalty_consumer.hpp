#pragma once

#include "engine/log/log.hpp"
#include "engine/runtime/read_pacer.hpp"
#include "loyalty/store/loyalty_store.hpp"

#include <chrono>
#include <thread>

namespace salonq::loyalty {

// Runs the loyalty fold: one thread catches the store up with the events log (from the stored offsets, so a restart
// resumes where the last fsynced batch ended), then waits for wake() (the engine's commit hook, paced by
// engine::runtime::read_pacer: reads start at least read_gap apart) or the poll interval. Failures are logged and
// retried at the next poll; they never end the process.
//
// Thread rules: wake() from any thread, at any time, even after stop() (it then does nothing); stop() once, before
// the store or the log reader goes. The store and the reader must outlive the consumer.
class loyalty_consumer {
public:
    loyalty_consumer(loyalty_store& store, engine::log::reader& events,
                     std::chrono::milliseconds poll = std::chrono::milliseconds{250});
    ~loyalty_consumer();
    loyalty_consumer(loyalty_consumer const&) = delete;
    loyalty_consumer& operator=(loyalty_consumer const&) = delete;

    void wake();
    void stop();

private:
    void consume();

    loyalty_store& store_;
    engine::log::reader& events_;
    engine::runtime::read_pacer pacer_;
    std::thread thread_;
};

} // namespace salonq::loyalty
