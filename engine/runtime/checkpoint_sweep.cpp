#include "engine/runtime/checkpoint_sweep.hpp"

#include <algorithm>

namespace salonq::engine::runtime {

checkpoint_sweep::share checkpoint_sweep::next_batch(clock::time_point now) {
    share out;
    if (!sweeping_ && now >= last_ + interval_) {
        sweeping_ = true;
        sweep_.assign(changed_.begin(), changed_.end());
        changed_.clear();
        step_ = std::max(min_step, (sweep_.size() + batches - 1) / batches);
        out.begins = true;
        last_ = now;
    }
    if (sweeping_) {
        for (auto n = std::min(sweep_.size(), step_); n > 0; --n) {
            out.salons.push_back(sweep_.back());
            in_flight_.insert(std::move(sweep_.back()));
            sweep_.pop_back();
        }
        if (sweep_.empty()) {
            out.ends = true;
            sweeping_ = false;
        }
    }
    // Only a checkpoint begun and ended in this batch writes its committed offsets.
    behind_ = !(out.begins && out.ends);
    return out;
}

void checkpoint_sweep::give_up() {
    for (auto& salon : sweep_) {
        changed_.insert(std::move(salon));
    }
    sweep_.clear();
    sweeping_ = false;
}

void checkpoint_sweep::batch_failed() {
    changed_.merge(in_flight_);
    in_flight_.clear();
    give_up(); // the next checkpoint begins again
    behind_ = true;
}

std::vector<std::string> checkpoint_sweep::take_all() {
    give_up();
    return {changed_.begin(), changed_.end()};
}

void checkpoint_sweep::checkpointed(clock::time_point now) {
    changed_.clear();
    last_ = now;
    behind_ = false;
}

bool checkpoint_sweep::due_when_idle(clock::time_point now) const {
    auto const due = idle_due();
    return due && now >= *due;
}

std::optional<checkpoint_sweep::clock::time_point> checkpoint_sweep::idle_due() const {
    if (!behind_ && changed_.empty()) {
        return std::nullopt;
    }
    return last_ + interval_;
}

void checkpoint_sweep::forget_if(std::function<bool(std::string const&)> const& handed_over) {
    std::erase_if(changed_, handed_over);
}

} // namespace salonq::engine::runtime
