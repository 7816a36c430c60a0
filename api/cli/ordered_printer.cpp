#include "api/cli/ordered_printer.hpp"

#include <cstdio>

namespace salonq::api {

std::size_t ordered_printer::reserve() {
    std::unique_lock lock{mutex_};
    changed_.wait(lock, [&] { return lines_.size() < max_pending_; });
    lines_.emplace_back();
    return base_ + lines_.size() - 1;
}

// set and close notify under the lock: once run() has seen the last line it may return and the printer go, so no
// caller may touch it after releasing the lock.
void ordered_printer::set(std::size_t slot, std::string line) {
    std::lock_guard lock{mutex_};
    lines_[slot - base_] = std::move(line);
    changed_.notify_all();
}

void ordered_printer::close() {
    std::lock_guard lock{mutex_};
    closed_ = true;
    changed_.notify_all();
}

std::vector<std::string> ordered_printer::take_ready() {
    std::unique_lock lock{mutex_};
    changed_.wait(lock, [&] { return (!lines_.empty() && lines_.front()) || (closed_ && lines_.empty()); });
    std::vector<std::string> ready;
    while (!lines_.empty()) {
        auto& line = lines_.front();
        if (!line) {
            break; // the next line in order is not decided yet
        }
        ready.push_back(std::move(*line));
        lines_.pop_front();
        ++base_;
    }
    lock.unlock();
    changed_.notify_all(); // room for the reader
    return ready;
}

void ordered_printer::run() {
    for (auto ready = take_ready(); !ready.empty(); ready = take_ready()) {
        for (auto const& line : ready) {
            std::fputs(line.c_str(), stdout);
            std::fputc('\n', stdout);
        }
        std::fflush(stdout);
    }
}

} // namespace salonq::api
