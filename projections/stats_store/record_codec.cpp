#include "projections/stats_store/record_codec.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"

#include <algorithm>
#include <array>

namespace salonq::projections::stats_store {
namespace {

namespace codec = engine::codec;
using stats::visit_end;

constexpr std::int64_t most = INT64_MAX;
constexpr std::int64_t local_day_min = -1'000'000;
constexpr std::int64_t local_day_max = 1'000'000;
constexpr std::size_t max_items = 1'000'000;

constexpr std::array visit_ends{visit_end::waiting, visit_end::serving, visit_end::served, visit_end::cancelled,
                                visit_end::no_show};

visit_end end_of(std::string_view s, std::string const& path) {
    for (auto const e : visit_ends) {
        if (stats::to_string(e) == s) {
            return e;
        }
    }
    codec::fail(codec::errc::invalid_value, path, "an unknown visit end");
}

void write_visit(codec::json_writer& w, stats::visit const& v) {
    w.begin_object().field("ticketId", v.ticket.value()).field("token", v.token).key("services").begin_array();
    for (auto const& s : v.services) {
        w.string(s);
    }
    w.end_array().field("plannedMin", v.planned_min).key("joined").time(v.joined);
    w.field("joinedDay", v.joined_local.day).field("joinedMinute", v.joined_local.minute);
    w.field("position", v.position_at_join);
    if (v.started) {
        w.key("started").time(*v.started);
    }
    if (v.waited_ms) {
        w.field("waitedMs", *v.waited_ms);
    }
    if (v.staff) {
        w.field("staffId", v.staff->value());
    }
    if (v.priority) {
        w.field("priority", engine::to_string(*v.priority));
    }
    if (v.service_ms) {
        w.field("serviceMs", *v.service_ms);
    }
    w.field("amountCents", v.amount_cents).field("skips", v.skips).field("end", stats::to_string(v.end));
    if (v.estimated_wait_ms) {
        w.field("estimatedWaitMs", *v.estimated_wait_ms);
    }
    if (v.sum_ahead_wait_ms) {
        w.field("sumAheadWaitMs", *v.sum_ahead_wait_ms);
    }
    if (v.estimated_low_ms && v.estimated_high_ms) {
        w.field("estimatedWaitLowMs", *v.estimated_low_ms).field("estimatedWaitHighMs", *v.estimated_high_ms);
    }
    if (v.told_today_pct) {
        w.field("toldTodayPct", *v.told_today_pct);
    }
    w.end_object();
}

stats::visit read_visit(codec::object_view o) {
    stats::visit v;
    v.ticket = engine::ticket_id{static_cast<std::uint64_t>(o.integer("ticketId", 1, most))};
    v.token = std::string{o.string("token", 8)};
    for (auto e : o.array("services", 100)) {
        v.services.emplace_back(codec::as_string(e, o.path_of("services"), codec::limits::id));
    }
    v.planned_min = static_cast<std::int32_t>(o.integer("plannedMin", 0, INT32_MAX));
    v.joined = o.time("joined");
    v.joined_local.day = static_cast<engine::local_day>(o.integer("joinedDay", local_day_min, local_day_max));
    v.joined_local.minute = static_cast<std::int32_t>(o.integer("joinedMinute", 0, 1439));
    v.position_at_join = static_cast<std::uint32_t>(o.integer("position", 0, UINT32_MAX));
    v.started = o.opt_time("started");
    v.waited_ms = o.opt_integer("waitedMs", INT64_MIN, most);
    if (auto staff = o.opt_id("staffId")) {
        v.staff = engine::staff_id{std::string{*staff}};
    }
    if (auto reason = o.opt_string("priority", 40)) {
        v.priority = engine::parse_priority_reason(*reason);
        if (!v.priority) {
            codec::fail(codec::errc::invalid_value, o.path_of("priority"), "an unknown priority reason");
        }
    }
    v.service_ms = o.opt_integer("serviceMs", INT64_MIN, most);
    v.amount_cents = o.integer("amountCents", INT64_MIN, most);
    v.skips = static_cast<std::uint32_t>(o.integer("skips", 0, UINT32_MAX));
    v.end = end_of(o.string("end", 20), o.path_of("end"));
    v.estimated_wait_ms = o.opt_integer("estimatedWaitMs", INT64_MIN, most);
    v.sum_ahead_wait_ms = o.opt_integer("sumAheadWaitMs", INT64_MIN, most);
    v.estimated_low_ms = o.opt_integer("estimatedWaitLowMs", INT64_MIN, most);
    v.estimated_high_ms = o.opt_integer("estimatedWaitHighMs", INT64_MIN, most);
    if (auto const pct = o.opt_integer("toldTodayPct", 0, 100)) { // none in a record stored before it was kept
        v.told_today_pct = static_cast<std::int32_t>(*pct);
    }
    o.finish();
    return v;
}

// Runs a decoder over a stored document: its failure becomes a message.
template <typename T, typename F>
[[nodiscard]] std::expected<T, std::string> decoded(std::string_view json, F const& read) {
    try {
        return read(codec::as_object(codec::parse_document(json, codec::limits::record), ""));
    } catch (codec::decode_failure& f) {
        return std::unexpected(f.err.path + ": " + f.err.message);
    }
}

} // namespace

std::string encode_visit(stats::visit const& v) {
    codec::json_writer w;
    write_visit(w, v);
    return w.str();
}

std::expected<stats::visit, std::string> decode_visit(std::string_view json) {
    return decoded<stats::visit>(json, read_visit);
}

std::string encode_counts(stats::day_counts const& c) {
    codec::json_writer w;
    w.begin_object().field("skips", c.skips).field("undoSkips", c.undo_skips).field("noShows", c.no_shows);
    w.key("staff").begin_array();
    for (auto const& [staff, d] : c.staff) {
        w.begin_object().field("staffId", staff).field("onDutyMs", d.on_duty_ms).field("busyMs", d.busy_ms);
        w.field("served", d.served).field("revenueCents", d.revenue_cents).end_object();
    }
    w.end_array();
    if (std::ranges::any_of(c.on_duty_ms_by_hour, [](std::int64_t ms) { return ms != 0; })) {
        w.key("onDutyMsByHour").begin_array();
        for (auto const ms : c.on_duty_ms_by_hour) {
            w.number(ms);
        }
        w.end_array();
    }
    w.end_object();
    return w.str();
}

std::expected<stats::day_counts, std::string> decode_counts(std::string_view json) {
    return decoded<stats::day_counts>(json, [](codec::object_view o) {
        stats::day_counts c;
        c.skips = static_cast<std::uint32_t>(o.integer("skips", 0, UINT32_MAX));
        c.undo_skips = static_cast<std::uint32_t>(o.integer("undoSkips", 0, UINT32_MAX));
        c.no_shows = static_cast<std::uint32_t>(o.integer("noShows", 0, UINT32_MAX));
        for (auto e : o.array("staff", max_items)) {
            auto s = codec::as_object(e, "staff[]");
            auto& d = c.staff[std::string{s.id("staffId")}];
            d.on_duty_ms = s.integer("onDutyMs", 0, most);
            d.busy_ms = s.integer("busyMs", INT64_MIN, most);
            d.served = static_cast<std::uint32_t>(s.integer("served", 0, UINT32_MAX));
            d.revenue_cents = s.integer("revenueCents", INT64_MIN, most);
            s.finish();
        }
        if (auto hours = o.opt_array("onDutyMsByHour", c.on_duty_ms_by_hour.size())) {
            std::size_t hour = 0;
            for (auto e : *hours) {
                c.on_duty_ms_by_hour.at(hour++) = codec::as_integer(e, "onDutyMsByHour[]", 0, most);
            }
        }
        o.finish();
        return c;
    });
}

std::string encode_salon(stats::salon_history const& h, std::uint64_t seq) {
    auto const state = h.state();
    codec::json_writer w;
    w.begin_object().field("seq", seq).field("timezone", state.timezone).field("priorityLimit", state.priority_limit);
    w.key("onDuty").begin_array();
    for (auto const& [staff, since] : state.on_duty_since) {
        w.begin_object().field("staffId", staff).key("since").time(since).end_object();
    }
    w.end_array();
    if (state.last_event_at) {
        w.key("lastEventAt").time(*state.last_event_at);
    }
    w.key("open").begin_array();
    for (auto const& [id, v] : h.visits()) {
        write_visit(w, v);
    }
    w.end_array().end_object();
    return w.str();
}

std::expected<salon_record, std::string> decode_salon(std::string_view json) {
    return decoded<salon_record>(json, [](codec::object_view o) {
        salon_record r;
        r.seq = static_cast<std::uint64_t>(o.integer("seq", 0, most));
        r.state.timezone = std::string{o.string("timezone", 100)};
        r.state.priority_limit = static_cast<std::int32_t>(o.integer("priorityLimit", 0, INT32_MAX));
        for (auto e : o.array("onDuty", max_items)) {
            auto s = codec::as_object(e, "onDuty[]");
            auto const staff = std::string{s.id("staffId")};
            r.state.on_duty_since.emplace(staff, s.time("since"));
            s.finish();
        }
        r.state.last_event_at = o.opt_time("lastEventAt"); // none in a record stored before session 21
        for (auto e : o.array("open", max_items)) {
            auto v = read_visit(codec::as_object(e, "open[]"));
            r.open.emplace(v.ticket.value(), std::move(v));
        }
        o.finish();
        return r;
    });
}

} // namespace salonq::projections::stats_store
