#pragma once

// Embedded mode's loyalty consumer, wired beside the engine: the store in the current generation of <data>/loyalty
// (engine::runtime::generations: <data>/loyalty.N after a rebuild), the consumer folding the engine's events log into
// it, woken by the views' feed after each round it applied. Kept out of embedded_stack so that the stack only calls
// wake(), start() and stop().
//
// Lifetime: a member of the stack that outlives the engine (the feed calls wake(), which does nothing before
// start() or after stop()). start() once the engine is open; stop() before the engine closes (the consumer reads its
// log); the store and the stopped consumer go with the wiring.

#include "engine/log/log.hpp"
#include "loyalty/run/loyalty_consumer.hpp"
#include "loyalty/store/loyalty_store.hpp"

#include <atomic>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace salonq::api {

class loyalty_wiring {
public:
    loyalty_wiring() = default;
    ~loyalty_wiring();
    loyalty_wiring(loyalty_wiring const&) = delete;
    loyalty_wiring& operator=(loyalty_wiring const&) = delete;

    // Opens <data>/loyalty's current generation (removing the others) and starts the consumer (it catches up with the
    // log on its own thread).
    [[nodiscard]] std::expected<void, std::string> start(std::filesystem::path const& data, engine::log::reader& events,
                                                         std::int32_t partition_count);
    // From the engine's on_committed hook (any worker thread).
    void wake();
    void stop();

    [[nodiscard]] loyalty::loyalty_store* store() noexcept { return store_.get(); }

private:
    std::mutex mutex_; // start, stop and wake against each other
    std::unique_ptr<loyalty::loyalty_store> store_;
    std::unique_ptr<loyalty::loyalty_consumer> consumer_;
    bool running_ = false; // under mutex_
};

} // namespace salonq::api
