#pragma once

#include "engine/domain/state.hpp"
#include "projections/queue/estimate_basis.hpp"
#include "projections/queue/observed.hpp"
#include "projections/queue/told_wait.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace salonq::projections {

// A predicted start, as of the view's updated_at: filled in by a wait_estimator, never by apply.
struct predicted_start {
    std::int64_t wait_ms = 0; // from updated_at to start
    engine::instant start{};
    // The likely range of the wait (low <= wait_ms <= high), in ms from updated_at: equal to it where the estimator
    // sees no spread.
    std::int64_t low_ms = 0;
    std::int64_t high_ms = 0;
    // The chance, in percent, of a start before the salon's usual last start of the day (docs/wait-prediction.md,
    // "Maybe not today"): 100 when no close is foreseen. Below 100 the estimate and its range are those of the runs
    // that start before it (the close itself when none does).
    std::int32_t today_pct = 100;
    friend bool operator==(predicted_start const&, predicted_start const&) = default;
};

// What a view shows of any ticket in the queue. The customer appears by name only (empty for a phone-only
// walk-in): views are shown on screens, so the phone number never enters one.
struct ticket_card {
    engine::ticket_id id;
    engine::token tok;
    std::string name;
    std::vector<std::string> services;
    std::int32_t duration_min = 0; // the services' durations when the ticket was issued
    engine::instant joined_at{};
    // The wait the estimator predicted right after the ticket was issued (none: nobody was on duty). Set by the
    // runtime (queue_views), not by apply; kept for the ticket's life so a walk-in's answer is the same on retry.
    std::optional<told_wait> join_wait;
    friend bool operator==(ticket_card const&, ticket_card const&) = default;
};

// While it waits only its position and its expected start change; its card and place are fixed once a view holds it
// (catch_up_view relies on it).
struct waiting_ticket : ticket_card {
    std::uint64_t place = 0;    // line order, kept by the engine across skip and undo-skip
    std::uint32_t position = 0; // 1-based, gapless: its index in queue_view::waiting + 1
    std::optional<predicted_start> expected;
    friend bool operator==(waiting_ticket const&, waiting_ticket const&) = default;
};

struct serving_ticket : ticket_card {
    engine::staff_id staff;
    std::string staff_name;
    engine::instant started_at{};
    engine::instant expected_end{}; // started_at + the ticket's duration
    std::optional<engine::priority_reason> priority;
    friend bool operator==(serving_ticket const&, serving_ticket const&) = default;
};

struct skipped_ticket : ticket_card {
    std::uint64_t place = 0; // where an undo-skip puts it back
    engine::instant skipped_at{};
    friend bool operator==(skipped_ticket const&, skipped_ticket const&) = default;
};

// A ticket that left the queue: completed, cancelled or a no-show, and when. Kept so that a customer's ticket
// link can say the ticket is over.
struct ended_ticket {
    engine::ticket_id id;
    engine::token tok;
    engine::ticket_status status = engine::ticket_status::completed;
    engine::instant at{};
    std::optional<told_wait> join_wait; // as on its ticket_card
    friend bool operator==(ended_ticket const&, ended_ticket const&) = default;
};

// The latest ended tickets of a view, shared by its copies until one of them records an end. The runtime copies a
// salon's view for every change (queue_views: readers keep the one they hold), and a salon with a few days of
// history has the full 500: their copy came with every walk-in, start and clock event, where now only an end copies
// them. Value semantics: copies compare and read as the list itself.
class ended_tickets {
public:
    using list = std::deque<ended_ticket>;

    ended_tickets() = default;
    explicit ended_tickets(list items) : items_(std::make_shared<list const>(std::move(items))) {}

    [[nodiscard]] std::size_t size() const noexcept { return items().size(); }
    [[nodiscard]] bool empty() const noexcept { return items().empty(); }
    [[nodiscard]] list::const_iterator begin() const noexcept { return items().begin(); }
    [[nodiscard]] list::const_iterator end() const noexcept { return items().end(); }
    [[nodiscard]] list::const_reverse_iterator rbegin() const noexcept { return items().rbegin(); }
    [[nodiscard]] list::const_reverse_iterator rend() const noexcept { return items().rend(); }
    [[nodiscard]] ended_ticket const& front() const { return items().front(); }
    [[nodiscard]] ended_ticket const& back() const { return items().back(); }

    // Appends `t` and keeps the latest `keep`, in a list of its own (the copies that shared the old one keep it).
    void push_back(ended_ticket t, std::size_t keep);
    void clear() noexcept { items_.reset(); }

    friend bool operator==(ended_tickets const& a, ended_tickets const& b) {
        return a.items_ == b.items_ || a.items() == b.items();
    }

private:
    [[nodiscard]] list const& items() const noexcept;

    std::shared_ptr<list const> items_; // none: empty
};

// Everything a queue_view holds but its line of waiting tickets: apart so that the runtime can bring an earlier view
// of the salon up to date without copying the tickets both lines hold (catch_up_view).
struct queue_view_header {
    static constexpr std::size_t max_recently_ended = 500;
    // What a served view (GET .../queue, live frames) shows of them: the latest few, for a console's "just left" and
    // a client following a ticket. The 500 are for the ticket links (encode_ticket); a busy salon reaches them in a
    // few days, and in every served view they were ~95 kB of each frame and answer (session 24).
    static constexpr std::size_t served_recently_ended = 20;

    engine::salon_id salon;
    std::string name;
    std::string timezone;
    engine::seq_t seq{0};         // the last event applied
    engine::instant updated_at{}; // its time: the "now" of the estimates
    engine::salon_config config;
    std::vector<engine::service_def> services;
    std::vector<engine::staff_member> staff; // in the order they were added
    std::vector<serving_ticket> serving;     // in the order they started
    std::vector<skipped_ticket> skipped;     // in the order they were skipped
    engine::local_day priority_day = 0;      // the salon-local day of updated_at
    std::int32_t priority_used = 0;          // priority starts that day; the limit is config.priority_daily_limit
    ended_tickets recently_ended;            // the latest last, at most max_recently_ended
    std::optional<predicted_start> join_now; // for a customer who walks in now
    observed_durations observed;             // the salon's pace so far, for the estimator
    estimate_basis basis;                    // the walk-ins in a row the estimates continue (stored)
    schedule_cache schedule;                 // the estimator's, for the next walk-in of the chain (not stored)

    friend bool operator==(queue_view_header const&, queue_view_header const&) = default;
};

// The live queue of one salon, as a screen, a staff console or a customer's phone shows it. A pure function of
// the salon's events (apply) and of the estimator run over it: every time in it comes from event times, never a
// clock, so the view at a seq is always the same and its JSON can be cached per seq (the HTTP ETag is the seq).
// Plain data: copyable, comparable.
struct queue_view : queue_view_header {
    std::vector<waiting_ticket> waiting; // line order: ascending place

    friend bool operator==(queue_view const&, queue_view const&) = default;

    [[nodiscard]] waiting_ticket const* find_waiting(engine::ticket_id id) const noexcept;
    [[nodiscard]] serving_ticket const* find_serving(engine::ticket_id id) const noexcept;
    [[nodiscard]] skipped_ticket const* find_skipped(engine::ticket_id id) const noexcept;
    [[nodiscard]] ended_ticket const* find_ended(engine::ticket_id id) const noexcept;
    [[nodiscard]] engine::staff_member const* find_staff(engine::staff_id const& id) const noexcept;
    [[nodiscard]] engine::staff_member* find_staff(engine::staff_id const& id) noexcept;
};

// Makes `earlier` equal to `later`, where `earlier` is a view of the same salon that the same folds made before
// `later` (the runtime's spare copy of a view it replaced). A ticket's card never changes once a view holds it (apply
// makes it, and the runtime sets its join estimate in the same apply), and places are unique and in line order, so a
// ticket that both lines hold at one place keeps its card and takes only later's numbers (position and estimate):
// copying a long line is then its numbers, not its names and services (the runtime's copy of each changed view was
// 7.5 % of serve's CPU in walk-ins, session 30). Any other `earlier` gets a plain copy of the tickets it does not
// share with `later` by id, place and join time.
void catch_up_view(queue_view& earlier, queue_view const& later);

// Folds one event of the view's salon into it. Pure and deterministic, like engine::evolve: no clock, no I/O.
// Sets seq and updated_at from the event and learns the salon's pace from it (view.observed); does not check the
// seq (the runtime does, queue_views) and leaves the estimates as they were (a wait_estimator fills them in).
void apply(queue_view& view, engine::event const& e);

} // namespace salonq::projections
