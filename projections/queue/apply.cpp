#include "engine/domain/calendar.hpp"
#include "projections/queue/observed.hpp"
#include "projections/queue/queue_view.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace salonq::projections {
namespace {

using namespace salonq::engine;

template <typename C>
auto find_by_id(C& tickets, ticket_id id) {
    return std::find_if(tickets.begin(), tickets.end(), [&](auto const& t) { return t.id == id; });
}

template <typename C>
auto* pointer_to(C& tickets, ticket_id id) {
    auto it = find_by_id(tickets, id);
    return it == tickets.end() ? nullptr : &*it;
}

// Puts a ticket into the line by its place (the end, for a walk-in) and renumbers the positions.
void insert_waiting(queue_view& v, waiting_ticket t) {
    auto at = std::upper_bound(v.waiting.begin(), v.waiting.end(), t.place,
                               [](std::uint64_t place, waiting_ticket const& w) { return place < w.place; });
    v.waiting.insert(at, std::move(t));
}

void renumber(queue_view& v) {
    std::uint32_t position = 0;
    for (auto& t : v.waiting) {
        t.position = ++position;
    }
}

// Takes a ticket out of the line, if it is there.
std::optional<waiting_ticket> take_waiting(queue_view& v, ticket_id id) {
    auto it = find_by_id(v.waiting, id);
    if (it == v.waiting.end()) {
        return std::nullopt;
    }
    auto t = std::move(*it);
    v.waiting.erase(it);
    return t;
}

// After a ticket left the line (started, skipped, cancelled, a no-show): if it was the last, a staff member between a
// completion and their next start is idle from now (observe_line_empty). Called after a start's observe_start, so the
// staff member who took it keeps their changeover.
void after_leaving_line(queue_view& v, instant at) {
    if (v.waiting.empty()) {
        observe_line_empty(v.observed, at);
    }
}

void record_end(queue_view& v, ticket_card const& t, ticket_status status, instant at) {
    v.recently_ended.push_back(ended_ticket{t.id, t.tok, status, at, t.join_wait}, queue_view::max_recently_ended);
}

// Ends a waiting or skipped ticket (a cancel or a no-show). For the leave statistics, a skipped ticket left when it
// was cancelled or the day was closed (`at`: its time from join to then counts, though it was called and absent
// before); a ticket still waiting when the day is closed did not leave: the salon closed (it counts as time in the
// queue without a leave).
void end_queued(queue_view& v, ticket_id id, ticket_status status, instant at, bool closing = false) {
    if (auto t = take_waiting(v, id)) {
        record_end(v, *t, status, at);
        if (closing) {
            observe_stayed(v.observed, at - t->joined_at);
        } else {
            observe_left(v.observed, at - t->joined_at);
        }
        after_leaving_line(v, at);
    } else if (auto it = find_by_id(v.skipped, id); it != v.skipped.end()) {
        record_end(v, *it, status, at);
        observe_left(v.observed, at - it->joined_at);
        v.skipped.erase(it);
    }
}

void start_serving(queue_view& v, ticket_id id, staff_id const& staff, instant at,
                   std::optional<priority_reason> priority) {
    auto t = take_waiting(v, id);
    if (!t) {
        return;
    }
    observe_start(v.observed, staff, at, at - t->joined_at);
    after_leaving_line(v, at);
    std::string staff_name;
    if (auto* m = v.find_staff(staff)) {
        m->serving = id;
        staff_name = m->name;
    }
    auto const end = at + std::chrono::minutes{t->duration_min};
    v.serving.push_back(serving_ticket{std::move(*t), staff, std::move(staff_name), at, end, priority});
}

struct folder {
    queue_view& v;
    event const& e;

    void set_on_duty(staff_id const& id, bool on_duty) {
        auto const others = on_duty_now();
        if (auto* m = v.find_staff(id)) {
            m->on_duty = on_duty;
        }
        observe_clock(v.observed, id, on_duty, e.at, v.timezone, others);
    }

    [[nodiscard]] std::vector<staff_id> on_duty_now() const {
        std::vector<staff_id> on_duty;
        for (auto const& m : v.staff) {
            if (m.on_duty) {
                on_duty.push_back(m.id);
            }
        }
        return on_duty;
    }

    void operator()(evt::salon_registered const& r) {
        v.name = r.name;
        v.timezone = r.timezone;
        v.config = r.config;
    }
    void operator()(evt::salon_configured const& r) {
        v.config = r.config;
        v.services = r.services;
    }
    void operator()(evt::staff_added const& r) {
        v.staff.push_back(staff_member{r.staff, r.name, r.staff_role, false, std::nullopt});
    }
    void operator()(evt::staff_clocked_in const& r) { set_on_duty(r.staff, true); }
    void operator()(evt::staff_clocked_out const& r) { set_on_duty(r.staff, false); }
    void operator()(evt::ticket_issued const& r) {
        insert_waiting(v, waiting_ticket{{r.ticket, r.tok, r.who.name, r.services, r.duration_min, e.at, std::nullopt},
                                         r.place,
                                         0,
                                         std::nullopt});
    }
    void operator()(evt::service_started const& r) { start_serving(v, r.ticket, r.staff, e.at, std::nullopt); }
    void operator()(evt::priority_started const& r) {
        start_serving(v, r.ticket, r.staff, e.at, r.reason);
        v.priority_day = r.day;
        v.priority_used = r.used_today;
    }
    void operator()(evt::service_completed const& r) {
        if (auto* m = v.find_staff(r.staff); m != nullptr && m->serving == r.ticket) {
            m->serving.reset();
        }
        if (auto it = find_by_id(v.serving, r.ticket); it != v.serving.end()) {
            observe_completion(
                v.observed, v.services,
                completed_service{it->services, it->duration_min, r.staff, r.duration_ms, e.at, !v.waiting.empty()});
            record_end(v, *it, ticket_status::completed, e.at);
            v.serving.erase(it);
        }
    }
    void operator()(evt::ticket_skipped const& r) {
        if (auto t = take_waiting(v, r.ticket)) {
            auto const place = t->place;
            v.skipped.push_back(skipped_ticket{std::move(*t), place, e.at});
            after_leaving_line(v, e.at);
        }
    }
    void operator()(evt::skip_undone const& r) {
        if (auto it = find_by_id(v.skipped, r.ticket); it != v.skipped.end()) {
            auto const place = it->place;
            insert_waiting(v, waiting_ticket{std::move(*it), place, 0, std::nullopt});
            v.skipped.erase(it);
        }
    }
    void operator()(evt::ticket_cancelled const& r) { end_queued(v, r.ticket, ticket_status::cancelled, e.at); }
    void operator()(evt::day_closed const& r) {
        observe_day_closed(v.observed, v.timezone, on_duty_now(), !v.waiting.empty());
        for (auto const& id : r.no_shows) {
            end_queued(v, id, ticket_status::no_show, e.at, true);
        }
        v.priority_day = r.day;
        v.priority_used = 0;
    }
};

} // namespace

void apply(queue_view& view, event const& e) {
    view.salon = e.salon;
    std::visit(folder{view, e}, e.body);
    renumber(view);
    view.seq = e.seq;
    view.updated_at = e.at;
    // The count shown is the one a priority start decided now would see: a new local day starts at zero, as in
    // decide, without waiting for a close_day.
    if (auto const today = local_day_of(view.timezone, e.at); today != view.priority_day) {
        view.priority_day = today;
        view.priority_used = 0;
    }
}

void ended_tickets::push_back(ended_ticket t, std::size_t keep) {
    auto next = items_ ? std::make_shared<list>(*items_) : std::make_shared<list>();
    next->push_back(t);
    while (next->size() > keep) {
        next->pop_front();
    }
    items_ = std::move(next);
}

ended_tickets::list const& ended_tickets::items() const noexcept {
    static list const none;
    return items_ ? *items_ : none;
}

waiting_ticket const* queue_view::find_waiting(ticket_id id) const noexcept { return pointer_to(waiting, id); }
serving_ticket const* queue_view::find_serving(ticket_id id) const noexcept { return pointer_to(serving, id); }
skipped_ticket const* queue_view::find_skipped(ticket_id id) const noexcept { return pointer_to(skipped, id); }
ended_ticket const* queue_view::find_ended(ticket_id id) const noexcept {
    // The latest end of a ticket id wins (ids are never reused, so there is at most one).
    auto it =
        std::find_if(recently_ended.rbegin(), recently_ended.rend(), [&](ended_ticket const& t) { return t.id == id; });
    return it == recently_ended.rend() ? nullptr : &*it;
}
staff_member const* queue_view::find_staff(staff_id const& id) const noexcept {
    auto it = std::find_if(staff.begin(), staff.end(), [&](staff_member const& s) { return s.id == id; });
    return it == staff.end() ? nullptr : &*it;
}

staff_member* queue_view::find_staff(staff_id const& id) noexcept {
    return const_cast<staff_member*>(std::as_const(*this).find_staff(id));
}

} // namespace salonq::projections
