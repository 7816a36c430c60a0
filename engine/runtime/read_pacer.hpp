#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace salonq::engine::runtime {

// The shortest time between the starts of two reads of the events log by a read-side consumer that the engine
// wakes at every commit (stats, loyalty, the notifier).
inline constexpr std::chrono::milliseconds read_gap{25};

// When a read-side consumer that the engine wakes at every commit reads the events log next. Under load the engine
// commits hundreds of batches a second; woken by each, every consumer would read, fold and write once per batch, and
// its thread would be switched in for each. Paced, a consumer's reads start at least `gap` apart: a burst of commits
// is one read, and a wake() during the gap does not wake the thread at all (only a wait for events is notified), so
// the engine's commits cost each consumer at most one wake-up per gap. A wake() after a quiet spell is read at once:
// the pace delays a fold only under load, and by at most the gap. Nothing is lost: a wake() at any moment makes the
// next wait() return once the gap is over.
//
// Thread rules: wake() and stop() from any thread at any time; wait() from the consumer's thread only.
class read_pacer {
public:
    using clock = std::chrono::steady_clock;

    explicit read_pacer(std::chrono::milliseconds poll, std::chrono::milliseconds gap = read_gap)
        : poll_(poll), gap_(gap) {}

    // New events in the log. Notifies the consumer only if it is waiting for them.
    void wake() {
        bool notify = false;
        {
            std::lock_guard lock{mutex_};
            new_events_ = true;
            notify = waiting_;
        }
        if (notify) {
            cv_.notify_one();
        }
    }

    void stop() {
        {
            std::lock_guard lock{mutex_};
            stopping_ = true;
        }
        cv_.notify_all();
    }

    // After a read that started at `started`: sleeps out the rest of the gap (only stop() ends it early), then waits
    // for a wake() (returning at once if one came meanwhile) or the poll interval. False once stop() was called.
    [[nodiscard]] bool wait(clock::time_point started) {
        std::unique_lock lock{mutex_};
        cv_.wait_until(lock, started + gap_, [this] { return stopping_; });
        waiting_ = true;
        cv_.wait_for(lock, poll_, [this] { return new_events_ || stopping_; });
        waiting_ = false;
        new_events_ = false;
        return !stopping_;
    }

    [[nodiscard]] bool stopping() {
        std::lock_guard lock{mutex_};
        return stopping_;
    }

private:
    std::chrono::milliseconds poll_;
    std::chrono::milliseconds gap_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool new_events_ = false; // under mutex_: a wake() since the last wait() returned
    bool waiting_ = false;    // under mutex_: the consumer waits for a wake() (not sleeping out the gap)
    bool stopping_ = false;   // under mutex_
};

} // namespace salonq::engine::runtime
