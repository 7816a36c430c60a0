#include "projections/queue/queue_view.hpp"

#include <algorithm>
#include <iterator>

namespace salonq::projections {
namespace {

// One ticket in both lines: the same place (unique in a salon's line), id and join time.
bool same_ticket(waiting_ticket const& a, waiting_ticket const& b) noexcept {
    return a.place == b.place && a.id == b.id && a.joined_at == b.joined_at;
}

// What changes of a ticket while it waits (renumber, and the estimators). A field added to waiting_ticket or
// ticket_card that changes too must be taken here (queue_views asserts the copy equal in builds with assertions).
void take_numbers(waiting_ticket& into, waiting_ticket const& from) {
    into.position = from.position;
    into.expected = from.expected;
}

// Brings line[from..] up to later[from..]: both ascending by place, so one pass pairs the tickets they share; those
// are moved and renumbered, the others copied.
void merge_rest(std::vector<waiting_ticket>& line, std::vector<waiting_ticket> const& later, std::size_t from) {
    std::vector<waiting_ticket> rest;
    rest.reserve(later.size() - from);
    auto j = from;
    for (auto k = from; k < later.size(); ++k) {
        auto const& t = later[k];
        while (j < line.size() && line[j].place < t.place) {
            ++j;
        }
        if (j < line.size() && same_ticket(line[j], t)) {
            rest.push_back(std::move(line[j]));
            take_numbers(rest.back(), t);
            ++j;
        } else {
            rest.push_back(t);
        }
    }
    line.erase(line.begin() + static_cast<std::ptrdiff_t>(from), line.end());
    std::ranges::move(rest, std::back_inserter(line));
}

// True when later[from..] is line[from..] less some tickets: tickets only left the line (a start, a skip, a cancel).
bool only_left(std::vector<waiting_ticket> const& line, std::vector<waiting_ticket> const& later, std::size_t from) {
    auto j = from;
    for (auto k = from; k < later.size(); ++k) {
        while (j < line.size() && line[j].place < later[k].place) {
            ++j;
        }
        if (j == line.size() || !same_ticket(line[j], later[k])) {
            return false;
        }
        ++j;
    }
    return true;
}

// Brings line[from..] up to later[from..] when only_left() holds: the tickets that stay move up over those that left
// and are renumbered; nothing is allocated (merge_rest built a new vector of the rest, at every start at the head).
void drop_left(std::vector<waiting_ticket>& line, std::vector<waiting_ticket> const& later, std::size_t from) {
    auto kept = from;
    auto j = from;
    for (auto k = from; k < later.size(); ++k, ++kept, ++j) {
        while (line[j].place < later[k].place) {
            ++j;
        }
        if (kept != j) {
            line[kept] = std::move(line[j]);
        }
        take_numbers(line[kept], later[k]);
    }
    line.erase(line.begin() + static_cast<std::ptrdiff_t>(kept), line.end());
}

} // namespace

void catch_up_view(queue_view& earlier, queue_view const& later) {
    static_cast<queue_view_header&>(earlier) = static_cast<queue_view_header const&>(later);
    auto& line = earlier.waiting;
    // Walk-ins join at the end: the lines usually agree ticket for ticket up to where the earlier one ends.
    std::size_t i = 0;
    for (; i < line.size() && i < later.waiting.size() && same_ticket(line[i], later.waiting[i]); ++i) {
        take_numbers(line[i], later.waiting[i]);
    }
    if (i == line.size()) { // walk-ins: the new tickets at the end, nothing to merge
        line.insert(line.end(), later.waiting.begin() + static_cast<std::ptrdiff_t>(i), later.waiting.end());
    } else if (only_left(line, later.waiting, i)) { // a start, a skip, a cancel: the rest move up
        drop_left(line, later.waiting, i);
    } else {
        merge_rest(line, later.waiting, i);
    }
}

} // namespace salonq::projections
