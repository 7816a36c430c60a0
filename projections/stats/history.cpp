#include "projections/stats/history.hpp"

#include <algorithm>

namespace salonq::projections::stats {
namespace {

namespace evt = engine::evt;
using std::chrono::milliseconds;
using std::chrono::minutes;

// The first local midnight after `t` in the zone, as an instant. A day of a clock change is 23 or 25 hours long:
// a guess of 24 hours from the time of day is off by the change, which the second look corrects.
engine::instant next_local_midnight(std::string_view zone, engine::instant t) {
    auto const now = engine::local_clock_of(zone, t);
    auto const into_minute = t.time_since_epoch() % minutes{1};
    auto guess = t - into_minute + minutes{1440 - now.minute};
    for (int i = 0; i < 2; ++i) {
        auto const there = engine::local_clock_of(zone, guess);
        if (there.minute == 0 && there.day == now.day + 1) {
            break;
        }
        // Landed an hour off either side of midnight: move by what the clock says.
        guess += there.day == now.day ? minutes{1440 - there.minute} : -minutes{there.minute};
    }
    return guess;
}

} // namespace

std::string_view to_string(visit_end e) noexcept {
    switch (e) {
    case visit_end::waiting:
        return "waiting";
    case visit_end::serving:
        return "serving";
    case visit_end::served:
        return "served";
    case visit_end::cancelled:
        return "cancelled";
    case visit_end::no_show:
        return "no_show";
    }
    return "waiting";
}

// Each event type into the history.
struct salon_history::folder {
    salon_history& h;
    engine::event const& e;

    [[nodiscard]] engine::local_day today() const { return engine::local_day_of(h.timezone_, e.at); }
    visit* find(engine::ticket_id t) const {
        auto it = h.visits_.find(t.value());
        return it == h.visits_.end() ? nullptr : &it->second;
    }
    void start(engine::ticket_id t, engine::staff_id const& staff, std::int64_t waited) const {
        if (auto* v = find(t)) {
            v->started = e.at;
            v->waited_ms = waited;
            v->staff = staff;
            v->end = visit_end::serving;
        }
    }

    void operator()(evt::salon_registered const& r) const {
        h.timezone_ = r.timezone;
        h.priority_limit_ = r.config.priority_daily_limit;
    }
    void operator()(evt::salon_configured const& r) const { h.priority_limit_ = r.config.priority_daily_limit; }
    void operator()(evt::staff_added const& /*added*/) const {}
    void operator()(evt::staff_clocked_in const& r) const { h.on_duty_since_.try_emplace(r.staff.value(), e.at); }
    void operator()(evt::staff_clocked_out const& r) const { h.clock_out(r.staff.value(), e.at); }
    void operator()(evt::ticket_issued const& r) const {
        visit v;
        v.ticket = r.ticket;
        v.token = r.tok.str();
        v.services = r.services;
        v.planned_min = r.duration_min;
        v.joined = e.at;
        v.joined_local = engine::local_clock_of(h.timezone_, e.at);
        v.position_at_join = r.position;
        h.visits_.insert_or_assign(r.ticket.value(), std::move(v));
    }
    void operator()(evt::service_started const& r) const { start(r.ticket, r.staff, r.waited_ms); }
    void operator()(evt::priority_started const& r) const {
        start(r.ticket, r.staff, r.waited_ms);
        if (auto* v = find(r.ticket)) {
            v->priority = r.reason;
        }
        h.priority_.push_back(priority_record{e.at, r.day, r.ticket, r.staff, r.reason, r.ordered_by, r.ordered_by_role,
                                              r.position_before, r.used_today, h.priority_limit_, r.waited_ms});
    }
    void operator()(evt::service_completed const& r) const {
        auto* v = find(r.ticket);
        if (v != nullptr) {
            v->service_ms = r.duration_ms;
            v->amount_cents = r.amount_cents;
            v->end = visit_end::served;
        }
        // The work counts on the day it started, as the visit does (a cut begun at 23:50 is that day's work).
        auto const started = v != nullptr && v->started ? *v->started : e.at - milliseconds{r.duration_ms};
        auto& staff = h.days_[engine::local_day_of(h.timezone_, started)].staff[r.staff.value()];
        ++staff.served;
        staff.busy_ms += r.duration_ms;
        staff.revenue_cents += r.amount_cents;
    }
    void operator()(evt::ticket_skipped const& r) const {
        if (auto* v = find(r.ticket)) {
            ++v->skips;
        }
        ++h.days_[today()].skips;
    }
    void operator()(evt::skip_undone const& /*undone*/) const { ++h.days_[today()].undo_skips; }
    void operator()(evt::ticket_cancelled const& r) const {
        if (auto* v = find(r.ticket)) {
            v->end = visit_end::cancelled;
        }
    }
    void operator()(evt::day_closed const& r) const {
        for (auto const t : r.no_shows) {
            if (auto* v = find(t)) {
                v->end = visit_end::no_show;
            }
        }
        h.days_[r.day].no_shows += static_cast<std::uint32_t>(r.no_shows.size());
    }
};

salon_history::salon_history(engine::salon_id salon, fold_state state, std::map<std::uint64_t, visit> visits,
                             std::map<engine::local_day, day_counts> days)
    : salon_(std::move(salon)), timezone_(std::move(state.timezone)), priority_limit_(state.priority_limit),
      visits_(std::move(visits)), days_(std::move(days)), on_duty_since_(std::move(state.on_duty_since)),
      last_event_at_(state.last_event_at) {}

void salon_history::apply(engine::event const& e) {
    std::visit(folder{*this, e}, e.body);
    last_event_at_ = last_event_at_ ? std::max(*last_event_at_, e.at) : e.at;
}

void salon_history::record_join_estimate(engine::ticket_id ticket, join_estimate const& told) {
    if (auto it = visits_.find(ticket.value()); it != visits_.end()) {
        it->second.estimated_wait_ms = told.wait_ms;
        it->second.estimated_low_ms = told.low_ms;
        it->second.estimated_high_ms = told.high_ms;
        it->second.sum_ahead_wait_ms = told.sum_ahead_ms;
        it->second.told_today_pct = told.today_pct;
    }
}

fold_state salon_history::state() const {
    return fold_state{timezone_, priority_limit_, on_duty_since_, last_event_at_};
}

std::vector<visit> salon_history::retire_ended() {
    std::vector<visit> ended;
    for (auto it = visits_.begin(); it != visits_.end();) {
        if (it->second.end == visit_end::waiting || it->second.end == visit_end::serving) {
            ++it;
            continue;
        }
        ended.push_back(std::move(it->second));
        it = visits_.erase(it);
    }
    priority_.clear();
    shifts_.clear();
    return ended;
}

void salon_history::clock_out(std::string const& staff, engine::instant at) {
    auto it = on_duty_since_.find(staff);
    if (it == on_duty_since_.end()) {
        return;
    }
    shifts_.push_back({staff, it->second, at});
    credit_shift(staff, it->second, at);
    on_duty_since_.erase(it);
}

void salon_history::close_open_shifts() {
    if (last_event_at_) {
        for (auto const& [staff, since] : on_duty_since_) {
            credit_shift(staff, since, *last_event_at_);
        }
    }
    on_duty_since_.clear();
}

void salon_history::credit_shift(std::string const& staff, engine::instant since, engine::instant at) {
    // Each local day gets its part of the shift.
    for (auto from = since; from < at;) {
        auto const midnight = next_local_midnight(timezone_, from);
        auto const until = std::min(midnight, at);
        days_[engine::local_day_of(timezone_, from)].staff[staff].on_duty_ms += (until - from).count();
        from = until;
    }
    // And each local hour its part: pieces end at the next local full hour, so zones with half-hour offsets and
    // clock changes count right.
    for (auto from = since; from < at;) {
        auto const local = engine::local_clock_of(timezone_, from);
        auto const into_hour = minutes{local.minute % 60} + (from - std::chrono::floor<minutes>(from));
        auto const until = std::min(at, from + (std::chrono::hours{1} - into_hour));
        auto const hour = static_cast<std::size_t>(std::clamp(local.minute / 60, 0, 23));
        days_[local.day].on_duty_ms_by_hour.at(hour) += (until - from).count();
        from = until;
    }
}

} // namespace salonq::projections::stats
