#pragma once

#include "replay/write/output.hpp"
#include "replay/write/sink.hpp"

#include <array>
#include <string>
#include <string_view>

namespace salonq::replay {

struct csv_column {
    std::string_view name;
    std::string_view meaning;
};

// The CSV's columns, in order: the same for every entry type, empty where a type has no such field. docs/replay.md
// lists them from this table (a test checks the two agree).
inline constexpr std::array<csv_column, 35> csv_columns{{
    {"partition", "events-log partition"},
    {"offset", "offset in that partition"},
    {"type", "event type, or command_rejected"},
    {"salonId", "salon"},
    {"seq", "the salon's seq of the event (empty for a rejection)"},
    {"atSeq", "rejection: the salon's seq when the command was refused"},
    {"at", "when, RFC 3339 UTC with milliseconds"},
    {"commandId", "the command that caused it"},
    {"actorKind", "staff, terminal or system"},
    {"actorId", "who sent the command"},
    {"ticketId", "ticket"},
    {"token", "ticket_issued: the token shown to the customer"},
    {"staffId", "staff member (serving, added, clocked in or out)"},
    {"staffName", "staff_added: name"},
    {"staffRole", "staff_added: owner, manager or staff"},
    {"customerName", "ticket_issued: name given"},
    {"customerPhone", "ticket_issued: phone given"},
    {"customerId", "ticket_issued, service_completed: loyalty id"},
    {"services", "ticket_issued: service codes joined by +; salon_configured: the catalogue's codes"},
    {"priceCents", "ticket_issued: price of the services"},
    {"durationMin", "ticket_issued: planned minutes"},
    {"place", "ticket_issued: place in line"},
    {"position", "position in line (issued, started, skipped, undone)"},
    {"waitedMs", "service_started, priority_started: how long the ticket waited"},
    {"durationMs", "service_completed: how long the service took"},
    {"amountCents", "service_completed: amount charged"},
    {"reason", "skip, cancel or priority reason"},
    {"orderedBy", "priority_started: who ordered it"},
    {"orderedByRole", "priority_started: their role"},
    {"usedToday", "priority_started: priority starts used that day, this one included"},
    {"day", "priority_started, day_closed: the salon's local day (YYYY-MM-DD)"},
    {"noShows", "day_closed: ticket ids joined by +"},
    {"was", "ticket_cancelled: the ticket's status before"},
    {"name", "salon_registered: salon name; command_rejected: the command type"},
    {"detail", "salon_registered: time zone; command_rejected: code: message"},
}};

// CSV (RFC 4180: comma-separated, a header row, fields with a comma, quote or line break quoted, quotes doubled),
// one row per entry with the columns above. Values are written as recorded: a spreadsheet may read a name that
// starts with '=' as a formula, pandas and Python's csv module do not.
class csv_sink final : public sink {
public:
    explicit csv_sink(output& out);
    [[nodiscard]] bool needs_entry() const noexcept override { return true; }
    void take(replayed const& r, engine::log_entry const* entry) override;
    [[nodiscard]] bool finish() override { return out_.flush(); }

private:
    output& out_;
    std::array<std::string, csv_columns.size()> row_;
};

} // namespace salonq::replay
