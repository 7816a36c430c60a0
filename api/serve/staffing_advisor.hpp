#pragma once

#include "api/http/staffing_port.hpp"
#include "engine/domain/time.hpp"
#include "projections/stats_store/stats_store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace salonq::api {

// Fewer days of history than this, and the advice says so instead of advising (docs/staffing.md).
inline constexpr std::int32_t min_staffing_history_days = 7;

// The days an answer is learned from, resolved against the salon's calendar and today.
struct staffing_window {
    engine::local_day first = 0;
    engine::local_day last = 0;
    std::int32_t history_days = 0; // days of [first, last] on or after the salon's first day
};
[[nodiscard]] staffing_window window_of(http::staffing_query const& q,
                                        projections::stats_store::salon_calendar const& c, engine::local_day today);

// The advice for one salon and window, as JSON: `salonq replay --report staffing`'s planner
// (projections::staffing::demand_of + plan_staffing) over the stats store's history of those days. None for an
// unknown salon. Runs the planner (26 simulated weeks): up to a second for a busy salon.
[[nodiscard]] std::expected<std::optional<std::string>, std::string>
staffing_answer(projections::stats_store::stats_store const& store, http::staffing_query const& q,
                engine::local_day today);

// GET .../staffing's advisor in embedded serve: answers from a cache of the answers worked out today (per salon,
// window and target; a window that reaches today is not cached, it still changes), and works out the others on
// its own thread, one at a time, so the planner never holds up the server's threads. At most max_pending requests
// wait; more get `busy`. Made after the stats store and destroyed before it: the destructor answers what still
// waits with `failed` and joins the thread. advise() may be called from any thread.
class staffing_advisor final : public http::staffing_port {
public:
    static constexpr std::size_t max_pending = 16;
    static constexpr std::size_t max_cached = 512;

    staffing_advisor(projections::stats_store::stats_store const& store, std::function<engine::instant()> clock);
    ~staffing_advisor() override;
    staffing_advisor(staffing_advisor const&) = delete;
    staffing_advisor& operator=(staffing_advisor const&) = delete;

    void advise(http::staffing_query query, std::move_only_function<void(http::staffing_result)> done) override;

private:
    struct job {
        http::staffing_query query;
        std::move_only_function<void(http::staffing_result)> done;
    };
    void work(std::stop_token const& stop);
    [[nodiscard]] std::optional<std::string> cached(std::string const& key);

    projections::stats_store::stats_store const& store_;
    std::function<engine::instant()> clock_;
    std::mutex mutex_;
    std::condition_variable_any ready_;
    std::deque<job> pending_;                  // under mutex_
    std::map<std::string, std::string> cache_; // key -> answer, under mutex_
    std::jthread worker_;                      // last: started once the rest is there
};

} // namespace salonq::api
