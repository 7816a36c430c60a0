#include "engine/kafka/detail/pending_outcomes.hpp"

namespace salonq::engine::kafka::detail {

void pending_outcomes::decided(std::string key) {
    keys_.insert(key);
    open_.push_back(std::move(key));
}

void pending_outcomes::submitted(std::uint64_t number) {
    flight_number_ = number;
    flight_ = std::exchange(open_, {});
}

void pending_outcomes::committed() {
    if (!flight_.empty()) {
        unstored_.emplace_back(flight_number_, std::exchange(flight_, {}));
    }
}

void pending_outcomes::stored_through(std::uint64_t through) {
    while (!unstored_.empty() && unstored_.front().first <= through) {
        for (auto const& k : unstored_.front().second) {
            keys_.erase(k);
        }
        unstored_.pop_front();
    }
}

void pending_outcomes::abandoned() {
    for (auto* batch : {&open_, &flight_}) {
        for (auto const& k : *batch) {
            keys_.erase(k);
        }
        batch->clear();
    }
}

} // namespace salonq::engine::kafka::detail
