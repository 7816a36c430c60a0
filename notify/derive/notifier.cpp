#include "notify/derive/notifier.hpp"

#include <fmt/format.h>

#include <charconv>

namespace salonq::notify {
namespace {

namespace evt = engine::evt;

} // namespace

std::string_view to_string(notification_kind k) noexcept {
    switch (k) {
    case notification_kind::almost_your_turn:
        return "almost_your_turn";
    case notification_kind::called:
        return "called";
    case notification_kind::skipped:
        return "skipped";
    case notification_kind::restored:
        return "restored";
    }
    return "called";
}

std::optional<notification_key> parse_notification_id(std::string_view id) noexcept {
    auto const number = [](std::string_view digits) -> std::optional<std::uint64_t> {
        std::uint64_t n = 0;
        auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        return ec == std::errc{} && end == digits.data() + digits.size() && !digits.empty() ? std::optional{n}
                                                                                            : std::nullopt;
    };
    auto const ticket_at = id.rfind(':');
    if (ticket_at == std::string_view::npos || ticket_at == 0) {
        return std::nullopt;
    }
    auto const kind_at = id.rfind(':', ticket_at - 1);
    if (kind_at == std::string_view::npos || kind_at == 0) {
        return std::nullopt;
    }
    auto const seq_at = id.rfind(':', kind_at - 1);
    if (seq_at == std::string_view::npos || seq_at == 0) {
        return std::nullopt;
    }
    auto const seq = number(id.substr(seq_at + 1, kind_at - seq_at - 1));
    auto const ticket = number(id.substr(ticket_at + 1));
    if (!seq || !ticket) {
        return std::nullopt;
    }
    return notification_key{id.substr(0, seq_at), *seq, id.substr(kind_at + 1, ticket_at - kind_at - 1), *ticket};
}

// The event's own notifications, and what it changes in the contacts and the told set.
struct salon_notifier::deriver {
    salon_notifier& n;
    engine::event const& e;
    notify_rules const& rules;
    std::vector<notification>& out;

    void tell(notification_kind kind, engine::ticket_id t, std::uint32_t position,
              std::optional<engine::staff_id> staff = std::nullopt) const {
        auto const found = n.contacts_.find(t.value());
        auto const held = found == n.contacts_.end() ? contact{} : found->second;
        out.push_back(
            notification{fmt::format("{}:{}:{}:{}", e.salon.value(), e.seq.value(), to_string(kind), t.value()), kind,
                         e.salon, e.seq, e.at, t, held.token, position, held.who, std::move(staff)});
    }
    void forget(engine::ticket_id t) const {
        n.contacts_.erase(t.value());
        n.told_.erase(t.value());
    }

    void operator()(evt::ticket_issued const& r) const {
        n.contacts_.insert_or_assign(r.ticket.value(), contact{r.tok.str(), r.who});
    }
    void operator()(evt::service_started const& r) const {
        n.told_.erase(r.ticket.value());
        if (rules.called) {
            tell(notification_kind::called, r.ticket, 0, r.staff);
        }
    }
    void operator()(evt::priority_started const& r) const {
        n.told_.erase(r.ticket.value());
        if (rules.called) {
            tell(notification_kind::called, r.ticket, 0, r.staff);
        }
    }
    void operator()(evt::ticket_skipped const& r) const {
        n.told_.erase(r.ticket.value()); // back in line later: told again when it gets near
        if (rules.skipped) {
            tell(notification_kind::skipped, r.ticket, r.position);
        }
    }
    void operator()(evt::skip_undone const& r) const {
        if (rules.restored) {
            tell(notification_kind::restored, r.ticket, r.position);
        }
    }
    void operator()(evt::service_completed const& r) const { forget(r.ticket); }
    void operator()(evt::ticket_cancelled const& r) const { forget(r.ticket); }
    void operator()(evt::day_closed const& r) const {
        for (auto const t : r.no_shows) {
            forget(t);
        }
    }
    void operator()(auto const& /*other*/) const {}
};

std::vector<notification> salon_notifier::apply(engine::event const& e, notify_rules const& rules) {
    std::vector<notification> out;
    projections::apply(queue_, e);
    // Ended tickets are nothing to the rules: kept, each checkpoint would write up to 500 of them again per salon.
    queue_.recently_ended.clear();
    std::visit(deriver{*this, e, rules, out}, e.body);
    if (rules.almost_at == 0) {
        return out;
    }
    // Every waiting ticket at or ahead of the position, not told yet since it (re)joined the line.
    for (auto const& w : queue_.waiting) {
        if (w.position > rules.almost_at) {
            break;
        }
        if (told_.insert(w.id.value()).second) {
            deriver{*this, e, rules, out}.tell(notification_kind::almost_your_turn, w.id, w.position);
        }
    }
    return out;
}

salon_notifier salon_notifier::restore(projections::queue_view queue, std::map<std::uint64_t, contact> contacts,
                                       std::set<std::uint64_t> told) {
    salon_notifier n;
    n.queue_ = std::move(queue);
    n.contacts_ = std::move(contacts);
    n.told_ = std::move(told);
    return n;
}

} // namespace salonq::notify
