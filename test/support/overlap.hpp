#pragma once

// Making a rebuild overlap traffic, whatever the machine's load: without it a rebuild may end before the thread that
// appends is switched in (or the appender may be done before the rebuild begins), and a test of "events keep coming
// during a rebuild" tests nothing. The appender stops at a gate until the rebuild has begun; the rebuild's progress
// observer holds the rebuild's first chunk until the appender has appended past what it had. Both waits are bounded:
// a stuck party makes the test's own check fail, never hang.

#include "engine/runtime/rebuild.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace salonq::test {

// Polls `ready` until it holds or `limit` has passed; whether it held.
template <typename Ready>
[[nodiscard]] bool wait_until(Ready const& ready, std::chrono::milliseconds limit = std::chrono::seconds{30}) {
    auto const until = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
        if (std::chrono::steady_clock::now() > until) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
    return true;
}

class rebuild_overlap {
public:
    // `appended`: how many the appender has appended so far (it counts them itself).
    explicit rebuild_overlap(std::function<std::size_t()> appended) : appended_(std::move(appended)) {}

    // The appender, before an append that must come during the rebuild: returns once the rebuild has begun.
    void wait_for_rebuild() const {
        (void)wait_until([this] { return begun_.load(); });
    }

    // The rebuild's observer: at its first chunk, lets the appender go on and waits until it has appended more.
    [[nodiscard]] engine::runtime::rebuild_observer observer() {
        return [this](engine::runtime::rebuild_progress const&) {
            if (!begun_.exchange(true)) {
                before_ = appended_();
                (void)wait_until([this] { return appended_() > before_; });
            }
            return true;
        };
    }

private:
    std::function<std::size_t()> appended_;
    std::atomic<bool> begun_{false};
    std::size_t before_ = 0; // by the rebuild's thread
};

} // namespace salonq::test
