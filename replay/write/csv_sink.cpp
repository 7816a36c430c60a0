#include "replay/write/csv_sink.hpp"

#include "replay/write/csv_text.hpp"

#include "engine/codec/json_writer.hpp"

#include <fmt/format.h>

#include <chrono>

namespace salonq::replay {
namespace {

namespace evt = engine::evt;

consteval std::size_t col(std::string_view name) {
    for (std::size_t i = 0; i < csv_columns.size(); ++i) {
        if (csv_columns[i].name == name) {
            return i;
        }
    }
    throw "no such column"; // a compile error: every name used below is in the table
}

using csv_row = std::array<std::string, csv_columns.size()>;

template <typename T>
std::string joined(std::vector<T> const& items, auto&& text) {
    std::string out;
    for (auto const& item : items) {
        out += out.empty() ? "" : "+";
        out += text(item);
    }
    return out;
}

void actor_of(csv_row& r, engine::actor const& a) {
    r[col("actorKind")] = engine::to_string(a.kind);
    r[col("actorId")] = a.id;
}

// Each event type's payload into its columns.
struct payload_columns {
    csv_row& r;

    void operator()(evt::salon_registered const& e) const {
        r[col("name")] = e.name;
        r[col("detail")] = e.timezone;
    }
    void operator()(evt::salon_configured const& e) const {
        r[col("services")] = joined(e.services, [](auto const& s) { return s.code; });
    }
    void operator()(evt::staff_added const& e) const {
        r[col("staffId")] = e.staff.value();
        r[col("staffName")] = e.name;
        r[col("staffRole")] = engine::to_string(e.staff_role);
    }
    void operator()(evt::staff_clocked_in const& e) const { r[col("staffId")] = e.staff.value(); }
    void operator()(evt::staff_clocked_out const& e) const { r[col("staffId")] = e.staff.value(); }
    void operator()(evt::ticket_issued const& e) const {
        r[col("ticketId")] = std::to_string(e.ticket.value());
        r[col("token")] = e.tok.str();
        r[col("customerName")] = e.who.name;
        r[col("customerPhone")] = e.who.phone;
        r[col("customerId")] = e.who.id ? e.who.id->value() : "";
        r[col("services")] = joined(e.services, [](auto const& s) { return s; });
        r[col("priceCents")] = std::to_string(e.price_cents);
        r[col("durationMin")] = std::to_string(e.duration_min);
        r[col("place")] = std::to_string(e.place);
        r[col("position")] = std::to_string(e.position);
    }
    void operator()(evt::service_started const& e) const {
        r[col("ticketId")] = std::to_string(e.ticket.value());
        r[col("staffId")] = e.staff.value();
        r[col("position")] = std::to_string(e.position);
        r[col("waitedMs")] = std::to_string(e.waited_ms);
    }
    void operator()(evt::service_completed const& e) const {
        r[col("ticketId")] = std::to_string(e.ticket.value());
        r[col("staffId")] = e.staff.value();
        r[col("durationMs")] = std::to_string(e.duration_ms);
        r[col("amountCents")] = std::to_string(e.amount_cents);
        r[col("customerId")] = e.customer ? e.customer->value() : "";
    }
    void operator()(evt::ticket_skipped const& e) const {
        r[col("ticketId")] = std::to_string(e.ticket.value());
        r[col("reason")] = e.reason;
        r[col("position")] = std::to_string(e.position);
    }
    void operator()(evt::skip_undone const& e) const {
        r[col("ticketId")] = std::to_string(e.ticket.value());
        r[col("position")] = std::to_string(e.position);
    }
    void operator()(evt::priority_started const& e) const {
        r[col("ticketId")] = std::to_string(e.ticket.value());
        r[col("staffId")] = e.staff.value();
        r[col("reason")] = engine::to_string(e.reason);
        r[col("orderedBy")] = e.ordered_by;
        r[col("orderedByRole")] = engine::to_string(e.ordered_by_role);
        r[col("position")] = std::to_string(e.position_before);
        r[col("day")] = engine::codec::format_day(e.day);
        r[col("usedToday")] = std::to_string(e.used_today);
        r[col("waitedMs")] = std::to_string(e.waited_ms);
    }
    void operator()(evt::ticket_cancelled const& e) const {
        r[col("ticketId")] = std::to_string(e.ticket.value());
        r[col("reason")] = e.reason;
        r[col("was")] = engine::to_string(e.was);
    }
    void operator()(evt::day_closed const& e) const {
        r[col("day")] = engine::codec::format_day(e.day);
        r[col("noShows")] = joined(e.no_shows, [](auto const& t) { return std::to_string(t.value()); });
    }
};

void fill(csv_row& r, engine::event const& e) {
    r[col("type")] = engine::type_name(e.body);
    r[col("salonId")] = e.salon.value();
    r[col("seq")] = std::to_string(e.seq.value());
    r[col("at")] = engine::codec::format_time(e.at);
    r[col("commandId")] = e.cause.value();
    actor_of(r, e.by);
    std::visit(payload_columns{r}, e.body);
}

void fill(csv_row& r, engine::rejected_command const& e) {
    r[col("type")] = "command_rejected";
    r[col("salonId")] = e.salon.value();
    r[col("atSeq")] = std::to_string(e.at_seq.value());
    r[col("at")] = engine::codec::format_time(e.at);
    r[col("commandId")] = e.cause.value();
    actor_of(r, e.by);
    r[col("name")] = e.command_type;
    r[col("detail")] = fmt::format("{}: {}", engine::to_string(e.why.code), e.why.message);
}

} // namespace

csv_sink::csv_sink(output& out) : out_(out) {
    std::array<std::string_view, csv_columns.size()> header;
    for (std::size_t i = 0; i < csv_columns.size(); ++i) {
        header[i] = csv_columns[i].name;
    }
    write_csv_row(out_, header);
}

void csv_sink::take(replayed const& r, engine::log_entry const* entry) {
    for (auto& field : row_) {
        field.clear();
    }
    row_[col("partition")] = std::to_string(r.partition);
    row_[col("offset")] = std::to_string(r.offset);
    std::visit([this](auto const& e) { fill(row_, e); }, *entry);
    write_csv_row(out_, row_);
}

} // namespace salonq::replay
