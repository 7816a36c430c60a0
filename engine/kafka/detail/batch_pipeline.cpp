#include "engine/kafka/detail/batch_pipeline.hpp"

namespace salonq::engine::kafka::detail {

void batch_pipeline::keep_prior(std::string const& salon, salon_state const* before) {
    if (!open_prior_.contains(salon)) {
        open_prior_.emplace(salon, before != nullptr ? std::optional{*before} : std::nullopt);
    }
}

void batch_pipeline::count(std::int32_t partition, std::int64_t offset, clock::time_point started) {
    if (open_.empty()) {
        opened_at_ = started;
    }
    ++open_.commands;
    open_.next_offsets[partition] = offset + 1;
}

bool batch_pipeline::due(clock::time_point now) const {
    if (open_.empty()) {
        return false;
    }
    return full() || now >= opened_at_ + limits_.interval;
}

kafka_batch batch_pipeline::close(clock::time_point now) {
    for (auto const& [salon, before] : open_prior_) {
        sweep_.changed(salon);
    }
    auto const share = sweep_.next_batch(now);
    open_.checkpoint_begin = share.begins;
    open_.checkpoint = share.ends;
    open_.states = encoded_states(states_, share.salons);
    return std::exchange(open_, kafka_batch{});
}

void batch_pipeline::submitted(std::uint64_t number) {
    pending_.submitted(number);
    in_flight_ = true;
    flight_prior_ = std::exchange(open_prior_, {});
}

std::expected<void, error> batch_pipeline::settle(std::expected<void, error> result) {
    if (!in_flight_) {
        return result;
    }
    in_flight_ = false;
    if (result) {
        pending_.committed();
        flight_prior_.clear();
        sweep_.batch_committed();
    }
    return result;
}

void batch_pipeline::restore_prior() {
    sweep_.batch_failed(); // the states in flight were not written; the next checkpoint begins again
    for (auto* prior : {&open_prior_, &flight_prior_}) { // the open batch was decided on top of the one in flight
        for (auto const& [salon, old] : *prior) {
            sweep_.changed(salon); // its committed state may be newer than RocksDB's
            if (old) {
                states_.insert_or_assign(salon, *old);
            } else {
                states_.erase(salon);
            }
        }
        prior->clear();
    }
    pending_.abandoned();
    open_ = kafka_batch{};
}

} // namespace salonq::engine::kafka::detail
