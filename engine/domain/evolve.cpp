#include "engine/domain/decide.hpp"

#include <algorithm>

namespace salonq::engine {
namespace {

// Removes an ended ticket from the active set and frees its token.
void end_ticket(salon_state& s, ticket_id id) {
    auto it = std::lower_bound(s.tickets.begin(), s.tickets.end(), id,
                               [](ticket const& t, ticket_id const& v) { return t.id < v; });
    if (it != s.tickets.end() && it->id == id) {
        s.tokens.erase(it->tok);
        s.tickets.erase(it);
    }
}

void start_serving(salon_state& s, ticket_id id, staff_id const& staff, instant at) {
    if (auto* t = s.find_ticket(id)) {
        t->status = ticket_status::serving;
        t->started_at = at;
        t->staff = staff;
    }
    if (auto* member = s.find_staff(staff)) {
        member->serving = id;
    }
}

struct evolver {
    salon_state& s;
    event const& e;

    void operator()(evt::salon_registered const& r) {
        s.registered = true;
        s.id = e.salon;
        s.name = r.name;
        s.timezone = r.timezone;
        s.config = r.config;
    }
    void operator()(evt::salon_configured const& r) {
        s.config = r.config;
        s.services = r.services;
    }
    void operator()(evt::staff_added const& r) {
        s.staff.push_back(staff_member{r.staff, r.name, r.staff_role, false, std::nullopt});
    }
    void operator()(evt::staff_clocked_in const& r) {
        if (auto* m = s.find_staff(r.staff)) {
            m->on_duty = true;
        }
    }
    void operator()(evt::staff_clocked_out const& r) {
        if (auto* m = s.find_staff(r.staff)) {
            m->on_duty = false;
        }
    }
    void operator()(evt::ticket_issued const& r) {
        s.tickets.push_back(ticket{r.ticket,
                                   r.tok,
                                   r.who,
                                   r.services,
                                   r.price_cents,
                                   r.duration_min,
                                   ticket_status::waiting,
                                   r.place,
                                   e.at,
                                   std::nullopt,
                                   std::nullopt,
                                   std::nullopt,
                                   {}});
        s.tokens.insert(r.tok);
        s.next_ticket = std::max(s.next_ticket, r.ticket.value() + 1);
        s.next_place = std::max(s.next_place, r.place + 1);
    }
    void operator()(evt::service_started const& r) { start_serving(s, r.ticket, r.staff, e.at); }
    void operator()(evt::service_completed const& r) {
        if (auto* m = s.find_staff(r.staff); m != nullptr && m->serving == r.ticket) {
            m->serving.reset();
        }
        end_ticket(s, r.ticket);
    }
    void operator()(evt::ticket_skipped const& r) {
        if (auto* t = s.find_ticket(r.ticket)) {
            t->status = ticket_status::skipped;
            t->skip_reason = r.reason;
        }
    }
    void operator()(evt::skip_undone const& r) {
        if (auto* t = s.find_ticket(r.ticket)) {
            t->status = ticket_status::waiting;
            t->skip_reason.clear();
        }
    }
    void operator()(evt::priority_started const& r) {
        start_serving(s, r.ticket, r.staff, e.at);
        if (auto* t = s.find_ticket(r.ticket)) {
            t->priority = priority_info{r.reason, r.ordered_by};
        }
        s.priority_day = r.day;
        s.priority_used = r.used_today;
    }
    void operator()(evt::ticket_cancelled const& r) { end_ticket(s, r.ticket); }
    void operator()(evt::day_closed const& r) {
        // One pass: both lists are sorted by ticket id.
        auto const ended = [&](ticket const& t) {
            return std::binary_search(r.no_shows.begin(), r.no_shows.end(), t.id);
        };
        for (auto const& t : s.tickets) {
            if (ended(t)) {
                s.tokens.erase(t.tok);
            }
        }
        std::erase_if(s.tickets, ended);
        s.priority_day = r.day;
        s.priority_used = 0;
    }
};

} // namespace

void evolve(salon_state& state, event const& e) {
    std::visit(evolver{state, e}, e.body);
    state.seq = e.seq;
}

std::vector<log_entry> decide_and_apply(salon_state& state, command const& c) {
    std::vector<log_entry> entries;
    auto decided = decide(state, c);
    if (!decided) {
        entries.emplace_back(rejected_command{c.salon, state.seq, c.id, c.by, c.received_at,
                                              std::string{type_name(c.body)}, std::move(decided.error())});
        return entries;
    }
    for (auto& e : *decided) {
        evolve(state, e);
        entries.emplace_back(std::move(e));
    }
    return entries;
}

salon_state fold(salon_id const& id, std::vector<event> const& events) {
    salon_state s;
    s.id = id;
    for (auto const& e : events) {
        evolve(s, e);
    }
    return s;
}

} // namespace salonq::engine
