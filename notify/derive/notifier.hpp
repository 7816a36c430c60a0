#pragma once

#include "notify/derive/notification.hpp"
#include "projections/queue/queue_view.hpp"

#include <map>
#include <set>
#include <vector>

namespace salonq::notify {

// Who holds an open ticket, as the salon's webhook needs it.
struct contact {
    std::string token;
    engine::customer who;
    friend bool operator==(contact const&, contact const&) = default;
};

// One salon's notifications, derived event by event: a pure fold like evolve. It keeps the salon's queue (for
// positions), each open ticket's contact (the queue view leaves phones out; the salon's own webhook needs them)
// and which tickets were already told "almost your turn" (once per stay in the line: a skipped ticket that comes
// back and reaches the position again is told again).
class salon_notifier {
public:
    // The notifications this event causes, in a fixed order (the event's own, then "almost" by position).
    [[nodiscard]] std::vector<notification> apply(engine::event const& e, notify_rules const& rules);

    [[nodiscard]] projections::queue_view const& queue() const noexcept { return queue_; }
    [[nodiscard]] std::map<std::uint64_t, contact> const& contacts() const noexcept { return contacts_; }
    [[nodiscard]] std::set<std::uint64_t> const& told() const noexcept { return told_; }
    // For a stored notifier read back.
    static salon_notifier restore(projections::queue_view queue, std::map<std::uint64_t, contact> contacts,
                                  std::set<std::uint64_t> told);
    friend bool operator==(salon_notifier const&, salon_notifier const&) = default;

private:
    struct deriver;

    projections::queue_view queue_;
    std::map<std::uint64_t, contact> contacts_;
    std::set<std::uint64_t> told_;
};

} // namespace salonq::notify
