#include "api/serve/staffing_advisor.hpp"

#include "engine/codec/json_writer.hpp"
#include "projections/staffing/planner.hpp"
#include "projections/stats/summary.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace salonq::api {
namespace {

namespace sf = projections::staffing;
using engine::codec::json_writer;

void optional_ms(json_writer& w, std::string_view key, std::optional<std::int64_t> ms) {
    w.key(key);
    ms ? w.number(*ms) : w.null();
}

// The hours of the week anyone comes or someone is needed, as `salonq replay --report staffing` lists them (the
// same figures, in milliseconds; rates and staff to the report's decimals).
void write_hours(json_writer& w, sf::weekly_demand const& demand, sf::staffing_advice const& advice) {
    w.key("hours").begin_array();
    for (std::size_t hour = 0; hour < sf::hours_per_week; ++hour) {
        auto const& a = advice.hours.at(hour);
        if (demand.arrivals_per_hour.at(hour) <= 0 && a.staff == 0) {
            continue;
        }
        w.begin_object().field("weekday", sf::weekday_name(hour)).field("hour", static_cast<std::uint32_t>(hour % 24));
        w.key("arrivalsPerHour").raw(fmt::format("{:.2f}", demand.arrivals_per_hour.at(hour)));
        w.field("staff", a.staff);
        optional_ms(w, "waitP50Ms", a.wait_p50_ms);
        optional_ms(w, "waitP90Ms", a.wait_p90_ms);
        w.key("meetsTarget").boolean(a.meets_target);
        w.key("observedStaff").raw(fmt::format("{:.1f}", demand.observed_staff.at(hour)));
        optional_ms(w, "observedWaitP90Ms", projections::stats::percentiles_of(demand.observed_wait_ms.at(hour)).p90);
        w.field("weeksObserved", demand.weeks_seen.at(hour)).end_object();
    }
    w.end_array();
}

std::string cache_key(http::staffing_query const& q, staffing_window const& w, engine::local_day today) {
    return fmt::format("{}\n{}\n{}\n{}\n{}", q.salon.value(), today, w.first, w.last, q.target_wait_ms);
}

} // namespace

staffing_window window_of(http::staffing_query const& q, projections::stats_store::salon_calendar const& c,
                          engine::local_day today) {
    staffing_window w;
    if (q.from && q.to) {
        w.first = *q.from;
        w.last = *q.to;
    } else {
        // The last `weeks` full days, from the salon's first day if it came later: a young salon's weeks are not
        // diluted by days before it opened.
        w.last = today - 1;
        w.first = today - (7 * q.weeks);
        if (c.first_day && *c.first_day > w.first && *c.first_day <= w.last) {
            w.first = *c.first_day;
        }
    }
    // Days of the window the salon had: from its first day, up to today (days to come are no history).
    if (auto const last = std::min(w.last, today); c.first_day && *c.first_day <= last) {
        w.history_days = std::max(0, last - std::max(w.first, *c.first_day) + 1);
    }
    return w;
}

std::expected<std::optional<std::string>, std::string>
staffing_answer(projections::stats_store::stats_store const& store, http::staffing_query const& q,
                engine::local_day today) {
    auto const calendar = store.calendar(q.salon);
    if (!calendar) {
        return std::nullopt;
    }
    auto const w = window_of(q, *calendar, today);
    sf::plan_options options;
    options.target_p90_ms = q.target_wait_ms;
    json_writer out;
    out.begin_object().field("salonId", q.salon.value()).field("timezone", calendar->timezone);
    out.field("targetWaitMs", q.target_wait_ms).key("from").day(w.first).key("to").day(w.last);
    out.field("historyDays", w.history_days).field("minHistoryDays", min_staffing_history_days);
    out.field("simulatedWeeks", options.weeks);
    if (w.history_days < min_staffing_history_days) {
        out.field("status", std::string_view{"not_enough_history"}).key("hours").begin_array().end_array().end_object();
        return out.str();
    }
    auto history = store.history(q.salon, w.first, w.last);
    if (!history) {
        return std::unexpected(history.error());
    }
    std::optional<projections::stats::salon_history>& found = *history;
    if (!found) {
        return std::nullopt;
    }
    found->close_open_shifts(); // as the stats and the replay's report: open shifts count until the latest event
    auto const demand = sf::demand_of(*found, sf::learning_days{w.first, w.last});
    if (demand.empty()) { // nobody came, or no durations to simulate with: nothing to plan
        out.field("status", std::string_view{"no_demand"}).key("hours").begin_array().end_array().end_object();
        return out.str();
    }
    auto const advice = sf::plan_staffing(demand, options);
    out.field("status", std::string_view{"ok"});
    write_hours(out, demand, advice);
    out.end_object();
    return out.str();
}

staffing_advisor::staffing_advisor(projections::stats_store::stats_store const& store,
                                   std::function<engine::instant()> clock)
    : store_(store), clock_(std::move(clock)), worker_([this](std::stop_token const& stop) { work(stop); }) {}

staffing_advisor::~staffing_advisor() {
    worker_.request_stop();
    ready_.notify_all();
    if (worker_.joinable()) {
        worker_.join();
    }
    for (auto& j : pending_) {
        j.done(std::unexpected(http::staffing_error{http::staffing_failure::failed, "the server is stopping"}));
    }
}

std::optional<std::string> staffing_advisor::cached(std::string const& key) {
    auto it = cache_.find(key);
    return it == cache_.end() ? std::nullopt : std::optional{it->second};
}

void staffing_advisor::advise(http::staffing_query query, std::move_only_function<void(http::staffing_result)> done) {
    auto const calendar = store_.calendar(query.salon);
    if (!calendar) {
        done(std::unexpected(http::staffing_error{http::staffing_failure::unknown_salon, "no salon with this id"}));
        return;
    }
    auto const today = engine::local_day_of(calendar->timezone, clock_());
    auto const key = cache_key(query, window_of(query, *calendar, today), today);
    std::unique_lock lock{mutex_};
    if (auto hit = cached(key)) {
        lock.unlock();
        done(std::move(*hit));
        return;
    }
    if (pending_.size() >= max_pending) {
        lock.unlock();
        done(std::unexpected(http::staffing_error{http::staffing_failure::busy, "too many staffing requests"}));
        return;
    }
    pending_.push_back(job{std::move(query), std::move(done)});
    ready_.notify_one();
}

void staffing_advisor::work(std::stop_token const& stop) {
    for (;;) {
        std::unique_lock lock{mutex_};
        if (!ready_.wait(lock, stop, [&] { return !pending_.empty(); })) {
            return; // stopping: the destructor answers what waits
        }
        auto j = std::move(pending_.front());
        pending_.pop_front();
        lock.unlock();
        auto const calendar = store_.calendar(j.query.salon);
        auto const today = calendar ? engine::local_day_of(calendar->timezone, clock_()) : 0;
        auto const window = calendar ? window_of(j.query, *calendar, today) : staffing_window{};
        auto const key = cache_key(j.query, window, today);
        lock.lock();
        auto hit = cached(key);
        lock.unlock();
        if (hit) { // worked out for an earlier request while this one waited
            j.done(std::move(*hit));
            continue;
        }
        auto answer = staffing_answer(store_, j.query, today);
        if (!answer) {
            j.done(std::unexpected(http::staffing_error{http::staffing_failure::failed, answer.error()}));
            continue;
        }
        std::optional<std::string>& json = *answer;
        if (!json) {
            j.done(
                std::unexpected(http::staffing_error{http::staffing_failure::unknown_salon, "no salon with this id"}));
            continue;
        }
        if (window.last < today) { // a window that reaches today still changes
            lock.lock();
            if (cache_.size() >= max_cached) {
                cache_.clear();
            }
            cache_.insert_or_assign(key, *json);
            lock.unlock();
        }
        j.done(std::move(*json));
    }
}

} // namespace salonq::api
