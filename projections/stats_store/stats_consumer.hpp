#pragma once

#include "engine/log/log.hpp"
#include "engine/runtime/read_pacer.hpp"
#include "projections/stats_store/stats_store.hpp"

#include <chrono>
#include <thread>

namespace salonq::projections::stats_store {

// Keeps a stats_store up with the events log: one thread catches up from the store's offsets whenever wake() is
// called (in embedded serve, the views' feed after each round of applies; paced by engine::runtime::read_pacer: reads
// start at least read_gap apart) and at least every `poll`, so a committed event is in the stats within milliseconds.
// stop() (or the destructor) ends the thread and writes the last checkpoint. wake() may be called from any thread at
// any time, also before and after the thread runs.
class stats_consumer {
public:
    stats_consumer(stats_store& store, engine::log::reader& events,
                   std::chrono::milliseconds poll = std::chrono::milliseconds{500});
    ~stats_consumer();
    stats_consumer(stats_consumer const&) = delete;
    stats_consumer& operator=(stats_consumer const&) = delete;

    void wake();
    void stop();

private:
    void consume();

    stats_store& store_;
    engine::log::reader& events_;
    engine::runtime::read_pacer pacer_;
    std::thread thread_;
};

} // namespace salonq::projections::stats_store
