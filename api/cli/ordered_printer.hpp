#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace salonq::api {

// The outcome lines of `salonq submit`, printed to stdout in input order. The reading thread reserves a slot per
// command (reserve), engine workers fill the slots in any order (set), and the printing thread prints every line
// whose predecessors are printed as soon as it is there and flushes, so a printed line means the command was
// acknowledged and a client that waits for its answer gets it without sending more. Thread-safe; run() on one
// thread, until close() and every reserved slot is printed.
class ordered_printer {
public:
    explicit ordered_printer(std::size_t max_pending) : max_pending_(max_pending) {}

    // A slot for the next line; blocks while max_pending slots wait to be printed (back-pressure on the reader).
    [[nodiscard]] std::size_t reserve();
    void set(std::size_t slot, std::string line);
    // No more slots will be reserved.
    void close();
    // Prints until closed and everything reserved is printed.
    void run();

private:
    // The lines at the front that are ready (waits for one, or for the end); empty once everything is printed.
    std::vector<std::string> take_ready();

    std::size_t const max_pending_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::optional<std::string>> lines_;
    std::size_t base_ = 0; // slot number of lines_.front()
    bool closed_ = false;
};

} // namespace salonq::api
