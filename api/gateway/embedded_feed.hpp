#pragma once

// Embedded mode's read side: feeds the queue views from the engine's on_committed hook (no polling), catches up
// from the engine's events log at start and whenever a batch arrives beyond what the views hold, and passes each
// change on to the live streams.
//
// The views are applied on the feed's own thread, not on the engine's: on_committed() only copies the batch's
// entries into a queue, so the engine's next batch is decided and written while the views fold the previous one.
// Read-your-writes is kept by when_applied(): the embedded gateway holds each outcome back until the views include
// its offsets, so a submitter still hears "accepted" only when GET .../queue already shows it (docs/http.md).
//
// Thread rules: on_committed() runs on the engine workers' threads and when_applied() on any thread; attach()
// once, before the server starts; detach() before the views or the hub go (it applies what is queued, stops the
// thread and releases every waiter).

#include "api/http/live/live_hub.hpp"
#include "engine/log/log.hpp"
#include "engine/logging/logger.hpp"
#include "engine/runtime/decoded_tail.hpp"
#include "engine/runtime/outcome.hpp"
#include "projections/store/queue_views.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <expected>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace salonq::api {

class embedded_feed {
public:
    // A hook run on the feed's thread before each apply (tests slow the views down with it to show that a POST
    // still waits for them).
    using apply_hook = std::function<void()>;

    embedded_feed() = default;
    ~embedded_feed();
    embedded_feed(embedded_feed const&) = delete;
    embedded_feed& operator=(embedded_feed const&) = delete;

    // The engine's on_committed hook: call it from engine_options (it does nothing until attach()).
    void on_committed(std::span<engine::runtime::outcome const* const> decided);

    // Starts feeding `views` (first catching up from `events`) and publishing their changes to `hub`. `after_apply`
    // runs on the feed's thread after each round of applies (the stats, which read no further than the views, are
    // woken by it).
    [[nodiscard]] std::expected<void, projections::error> attach(projections::queue_views& views,
                                                                 engine::log::reader& events, http::live_hub& hub,
                                                                 apply_hook before_apply = {},
                                                                 apply_hook after_apply = {});
    // Hands each run to `tail` once the views applied it (before after_apply), for the read side's other consumers;
    // call before attach(). The tail outlives the feed's thread (detach()).
    void feed_tail(engine::runtime::decoded_tail& tail) { tail_ = &tail; }
    // Applies what is queued, stops feeding (before the views or the hub go) and releases every waiter.
    void detach();

    // Runs `then` once the views hold partition p's entries before offset `end` (or the feed has given up on them,
    // which it logs as an error): at once, on the calling thread, if they do already or the feed is not attached;
    // else later on the feed's thread. `then` should be quick.
    void when_applied(engine::partition_id p, engine::offset_t end, std::move_only_function<void()> then);
    // Whether the views hold partition p's entries before `end` now (true when not attached), without waiting.
    [[nodiscard]] bool applied(engine::partition_id p, engine::offset_t end);

private:
    // Entries of one partition at consecutive offsets, as the engine committed them.
    struct run {
        engine::partition_id partition;
        engine::offset_t first;
        std::vector<engine::log_entry> entries;
    };
    struct waiter {
        std::int64_t end;
        std::move_only_function<void()> then;
    };

    void feed_loop();
    void apply(run const& r);
    void catch_up();
    // Records that partition p is applied up to `end` and releases its waiters that need no more, and those up to
    // `release_to` (a run the views failed to apply: answered all the same, without counting it as applied).
    void handled(engine::partition_id p, std::int64_t end, std::int64_t release_to = 0);

    std::atomic<projections::queue_views*> views_{nullptr};
    engine::log::reader* events_ = nullptr;
    engine::runtime::decoded_tail* tail_ = nullptr;
    projections::subscription_id subscription_ = 0;
    apply_hook before_apply_;
    apply_hook after_apply_;
    logging::logger log_{"views"};
    logging::throttle failing_; // the views' store full: a failure per run, one line a minute

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<run> queue_;                    // under mutex_
    std::vector<std::int64_t> applied_;        // per partition: entries before it are in the views; under mutex_
    std::vector<std::vector<waiter>> waiters_; // per partition; under mutex_
    bool attached_ = false;                    // under mutex_
    bool stopping_ = false;                    // under mutex_
    std::thread thread_;
};

} // namespace salonq::api
