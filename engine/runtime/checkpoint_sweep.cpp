#include "engine/runtime/checkpoint_sweep.hpp"

#include <algorithm>
#include <cstdint>

namespace salonq::engine::runtime {

checkpoint_sweep::share checkpoint_sweep::next_batch(clock::time_point now, std::size_t most) {
    share out;
    if (!sweeping_ && now >= last_ + interval_ && affordable()) {
        sweeping_ = true;
        logged_ = 0;
        written_ = 0;
        sweep_.assign(changed_.begin(), changed_.end());
        changed_.clear();
        total_ = sweep_.size();
        out.begins = true;
        last_ = now;
    }
    if (sweeping_) {
        auto const handed = total_ - sweep_.size();
        auto const due = due_by(now);
        auto const cap = std::min(most, std::max(batch_step, (total_ + 15) / 16));
        for (auto n = std::min(due > handed ? due - handed : 0, cap); n > 0; --n) {
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

// The k-th salon (from 1) is due once more than (k - 1) / total of the spread has passed (none at the moment the sweep
// begins), in whole microseconds: a million salons over an interval of an hour (the CLI's longest) still fit 64 bits.
std::size_t checkpoint_sweep::due_by(clock::time_point now) const {
    using std::chrono::microseconds;
    auto const spread = std::chrono::duration_cast<microseconds>(spread_).count();
    auto const elapsed = std::chrono::duration_cast<microseconds>(now - last_).count();
    if (spread <= 0 || elapsed >= spread) {
        return total_;
    }
    auto const total = static_cast<std::int64_t>(total_);
    return static_cast<std::size_t>((total * std::max<std::int64_t>(elapsed, 0) + spread - 1) / spread);
}

checkpoint_sweep::clock::time_point checkpoint_sweep::share_due() const {
    using std::chrono::microseconds;
    auto const next = static_cast<std::int64_t>(std::min(total_, total_ - sweep_.size() + idle_step));
    auto const spread = std::chrono::duration_cast<microseconds>(spread_).count();
    if (next == 0 || spread <= 0) {
        return last_;
    }
    auto const after = microseconds{spread * (next - 1) / static_cast<std::int64_t>(total_) + 1};
    return last_ + std::min(after, microseconds{spread});
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
    logged_ = 0;
    written_ = 0;
    last_ = now;
    behind_ = false;
}

bool checkpoint_sweep::due_when_idle(clock::time_point now) const {
    auto const due = idle_due();
    return due && now >= *due;
}

std::optional<checkpoint_sweep::clock::time_point> checkpoint_sweep::idle_due() const {
    if ((!behind_ && changed_.empty()) || !affordable()) {
        return std::nullopt; // nothing to write, or not before more log
    }
    return last_ + interval_;
}

void checkpoint_sweep::forget_if(std::function<bool(std::string const&)> const& handed_over) {
    std::erase_if(changed_, handed_over);
}

} // namespace salonq::engine::runtime
