#include "api/serve/loyalty_wiring.hpp"

#include "engine/runtime/generations.hpp"

namespace salonq::api {

loyalty_wiring::~loyalty_wiring() { stop(); }

std::expected<void, std::string> loyalty_wiring::start(std::filesystem::path const& data, engine::log::reader& events,
                                                       std::int32_t partition_count) {
    engine::runtime::generations const gens{data / "loyalty"};
    auto const dir = gens.current();
    if (!dir) {
        return std::unexpected("the loyalty ledger: " + dir.error());
    }
    auto store = loyalty::loyalty_store::open(*dir, partition_count);
    if (!store) {
        return std::unexpected("cannot open the loyalty ledger: " + store.error());
    }
    if (auto removed = gens.remove_others(); !removed) { // what an earlier rebuild left behind
        return std::unexpected("the loyalty ledger: " + removed.error());
    }
    std::lock_guard lock{mutex_};
    store_ = std::move(*store);
    consumer_ = std::make_unique<loyalty::loyalty_consumer>(*store_, events);
    running_ = true;
    return {};
}

void loyalty_wiring::wake() {
    std::lock_guard lock{mutex_};
    if (running_) {
        consumer_->wake();
    }
}

void loyalty_wiring::stop() {
    {
        std::lock_guard lock{mutex_};
        if (!running_) {
            return;
        }
        running_ = false;
    }
    consumer_->stop(); // outside the lock: a commit's wake() does not wait for the last fold
}

} // namespace salonq::api
