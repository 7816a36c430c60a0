#include "projections/queue/view_codec.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/codec/shared.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <climits>
#include <ranges>
#include <string_view>
#include <utility>

namespace salonq::projections {
namespace {

using namespace salonq::engine;
using namespace salonq::engine::codec;

constexpr std::int64_t max_place = INT64_MAX;
constexpr std::int64_t max_wait_ms = std::int64_t{1} << 50;
constexpr std::int64_t minutes_per_day = std::int64_t{24} * 60;

// The likely range beside an estimate `wait` read from `wait_name`: both ends, or, in a view stored before the range
// was kept, the estimate as both ends. Refused: an end without the estimate, a low end above it, a high end below.
std::pair<std::int64_t, std::int64_t> read_range(object_view& o, std::optional<std::int64_t> wait,
                                                 char const* wait_name, std::array<char const*, 2> names) {
    auto const low = o.opt_integer(names[0], 0, max_wait_ms);
    auto const high = o.opt_integer(names[1], 0, max_wait_ms);
    if (!wait) {
        if (low || high) {
            fail(errc::missing_field, o.path_of(wait_name),
                 fmt::format("{} needs {}", low ? names[0] : names[1], wait_name));
        }
        return {};
    }
    if (low.value_or(*wait) > *wait) {
        fail(errc::invalid_value, o.path_of(names[0]), fmt::format("must not be above {}", wait_name));
    }
    if (high.value_or(*wait) < *wait) {
        fail(errc::invalid_value, o.path_of(names[1]), fmt::format("must not be below {}", wait_name));
    }
    return {low.value_or(*wait), high.value_or(*wait)};
}

// The chance of a start today (predicted_start::today_pct) under `name`: written below 100 only, read as 0..99 (absent:
// 100) and only beside the estimate it qualifies (`wait_name`).
void write_today(json_writer& w, std::string_view name, std::int32_t pct) {
    if (pct < 100) {
        w.field(name, pct);
    }
}

std::int32_t read_today(object_view& o, std::string_view name, bool estimated, std::string_view wait_name) {
    auto const today = o.opt_integer(name, 0, 99);
    if (today && !estimated) {
        fail(errc::missing_field, o.path_of(wait_name), fmt::format("{} needs {}", name, wait_name));
    }
    return static_cast<std::int32_t>(today.value_or(100));
}

void write_told(json_writer& w, std::optional<told_wait> const& t) {
    if (t) {
        w.field("estimatedWaitAtJoinMs", t->wait_ms)
            .field("estimatedWaitAtJoinLowMs", t->low_ms)
            .field("estimatedWaitAtJoinHighMs", t->high_ms);
        write_today(w, "servedTodayPctAtJoin", t->today_pct);
    }
}

std::optional<told_wait> read_told(object_view& o) {
    auto const wait = o.opt_integer("estimatedWaitAtJoinMs", 0, max_wait_ms);
    auto const range =
        read_range(o, wait, "estimatedWaitAtJoinMs", {"estimatedWaitAtJoinLowMs", "estimatedWaitAtJoinHighMs"});
    auto const today = read_today(o, "servedTodayPctAtJoin", wait.has_value(), "estimatedWaitAtJoinMs");
    return wait.transform([&](std::int64_t w) { return told_wait{w, range.first, range.second, today}; });
}

// The fields every kind of ticket in the view shares.
void write_head(json_writer& w, ticket_card const& t) {
    w.begin_object().field("ticketId", t.id.value()).field("token", t.tok.str()).field("name", t.name).key("services");
    write_codes(w, t.services);
    w.field("durationMin", t.duration_min).key("joinedAt").time(t.joined_at);
    write_told(w, t.join_wait);
}

void read_head(object_view& o, ticket_card& t) {
    t.id = read_ticket(o, "ticketId");
    t.tok = read_token(o, "token");
    t.name = std::string{o.string("name", limits::name)};
    t.services = read_codes(o, "services", max_ticket_services);
    t.duration_min =
        static_cast<std::int32_t>(o.integer("durationMin", 0, std::int64_t{24} * 60 * max_ticket_services));
    t.joined_at = o.time("joinedAt");
    t.join_wait = read_told(o);
}

void write_estimate(json_writer& w, std::optional<predicted_start> const& e) {
    if (e) {
        w.field("estimatedWaitMs", e->wait_ms)
            .key("estimatedStart")
            .time(e->start)
            .field("estimatedWaitLowMs", e->low_ms)
            .field("estimatedWaitHighMs", e->high_ms);
        write_today(w, "servedTodayPct", e->today_pct);
    }
}

std::optional<predicted_start> read_estimate(object_view& o) {
    auto wait = o.opt_integer("estimatedWaitMs", 0, max_wait_ms);
    auto start = o.opt_time("estimatedStart");
    if (wait.has_value() != start.has_value()) {
        fail(errc::missing_field, o.path_of(wait ? "estimatedStart" : "estimatedWaitMs"),
             "estimatedWaitMs and estimatedStart come together");
    }
    auto const range = read_range(o, wait, "estimatedWaitMs", {"estimatedWaitLowMs", "estimatedWaitHighMs"});
    auto const today = read_today(o, "servedTodayPct", wait.has_value(), "estimatedWaitMs");
    return wait ? std::optional{predicted_start{*wait, *start, range.first, range.second, today}} : std::nullopt;
}

void write_observed(json_writer& w, observed_durations const& o) {
    w.key("observed").begin_object().key("services").begin_array();
    for (auto const& s : o.services) {
        w.begin_object().field("code", s.code).field("meanMs", s.mean_ms).field("count", s.count).end_object();
    }
    w.end_array().key("staff").begin_array();
    for (auto const& s : o.staff) {
        w.begin_object().field("staffId", s.staff.value()).field("speed", s.speed).field("count", s.count);
        if (s.freed_at) {
            w.key("freedAt").time(*s.freed_at);
        }
        if (s.idle_since) {
            w.key("idleSince").time(*s.idle_since);
        }
        if (s.clock_ins > 0 || s.clock_outs > 0) {
            w.field("clockInMin", s.clock_in_min).field("clockIns", s.clock_ins);
            w.field("clockOutMin", s.clock_out_min).field("clockOuts", s.clock_outs).field("lastInDay", s.last_in_day);
        }
        if (s.out_pending) {
            w.key("clockOutPending").time(*s.out_pending);
        }
        if (s.last_out_day != 0) {
            w.field("lastOutDay", s.last_out_day);
        }
        if (s.absent_in_row != decltype(s.absent_in_row){}) {
            w.key("absentInRow").begin_array();
            for (auto const n : s.absent_in_row) {
                w.number(std::uint32_t{n});
            }
            w.end_array();
        }
        w.end_object();
    }
    w.end_array().field("changeoverMs", o.changeover_ms).field("changeovers", o.changeovers);
    if (o.pickups > 0) {
        w.field("pickupMs", o.pickup_ms).field("pickups", o.pickups);
    }
    if (o.close.days > 0) {
        w.field("lastStartMin", o.close.last_start_min).field("days", o.close.days);
    }
    if (o.close_by_weekday != decltype(o.close_by_weekday){}) {
        w.key("lastStartByWeekday").begin_array();
        for (auto const& c : o.close_by_weekday) {
            w.begin_object().field("lastStartMin", c.last_start_min).field("days", c.days).end_object();
        }
        w.end_array();
    }
    if (o.latest_start) {
        w.key("latestStart").time(*o.latest_start);
    }
    w.key("leaving");
    w.begin_array();
    for (auto const& band : o.leaving) {
        w.begin_object()
            .field("leaves", band.leaves)
            .field("exposureMs", band.exposure_ms)
            .field("entered", band.entered)
            .end_object();
    }
    w.end_array().end_object();
}

std::uint32_t read_count(object_view& o, std::string_view key) {
    return static_cast<std::uint32_t>(o.integer(key, 0, UINT32_MAX));
}

observed_durations read_observed(object_view& o);

// An optional array of one item per weekday, Monday first (`what` names them in an error): each read by
// read(element, its path). Absent: all default.
template <typename T, typename Read>
std::array<T, 7> read_weekdays(object_view& o, std::string_view key, std::string_view what, Read read) {
    std::array<T, 7> out{};
    auto const days = o.opt_array(key, out.size());
    if (!days) {
        return out;
    }
    if (days->size() != out.size()) {
        fail(errc::invalid_value, o.path_of(key), fmt::format("seven {}, Monday first", what));
    }
    std::size_t i = 0;
    for (auto e : *days) {
        out.at(i) = read(e, fmt::format("{}[{}]", o.path_of(key), i));
        ++i;
    }
    return out;
}

// A staff member's absences in a row per weekday: seven counts of 0 to absent_cap, or none (all 0).
std::array<std::uint8_t, 7> read_absences(object_view& s) {
    return read_weekdays<std::uint8_t>(s, "absentInRow", "counts", [](auto e, std::string const& path) {
        return static_cast<std::uint8_t>(as_integer(e, path, 0, projections::absent_cap));
    });
}

// The usual close per weekday: seven of them, Monday first, or none (a view stored before they were learned: they
// are learned from its next closed days on, the salon's close standing in meanwhile).
std::array<usual_close, 7> read_closes(object_view& o) {
    auto const key = "lastStartByWeekday";
    auto const out = read_weekdays<usual_close>(o, key, "weekdays", [](auto e, std::string const& path) {
        auto c = as_object(e, path);
        usual_close close{static_cast<std::int32_t>(c.integer("lastStartMin", 0, minutes_per_day - 1)),
                          read_count(c, "days")};
        if (close.days == 0 && close.last_start_min != 0) {
            fail(errc::invalid_value, c.path_of("lastStartMin"), "0 while days is 0 (never seen)");
        }
        c.finish();
        return close;
    });
    if (o.has(key) && out == std::array<usual_close, 7>{}) { // written once a weekday is seen: one form for a view
        fail(errc::invalid_value, o.path_of(key), "absent while no weekday has been seen closing");
    }
    return out;
}

ticket_status read_status(object_view& o, std::string_view key) {
    auto status = parse_ticket_status(o.string(key, 16));
    if (!status) {
        fail(errc::invalid_value, o.path_of(key), "not a ticket status");
    }
    return *status;
}

// Calls read(object_view&) for each object of the array `key`, each with its own path.
template <typename Read>
void for_each_object(object_view& parent, std::string_view key, std::size_t max_items, Read read) {
    std::size_t i = 0;
    auto const path = parent.path_of(key);
    for (auto item : parent.array(key, max_items)) {
        auto o = as_object(item, fmt::format("{}[{}]", path, i++));
        read(o);
        o.finish();
    }
}

observed_durations read_observed(object_view& o) {
    observed_durations d;
    for_each_object(o, "services", max_services, [&](object_view& s) {
        auto code = std::string{s.id("code")};
        d.services.push_back(
            service_pace{std::move(code), s.integer("meanMs", 1, max_wait_ms), read_count(s, "count")});
    });
    for_each_object(o, "staff", salon_limits::staff, [&](object_view& s) {
        staff_pace p;
        p.staff = staff_id{std::string{s.id("staffId")}};
        p.speed = s.integer("speed", ratio_one / 4, ratio_one * 4);
        p.count = read_count(s, "count");
        p.freed_at = s.opt_time("freedAt");
        p.idle_since = s.opt_time("idleSince");
        // A view stored before shifts were learned has none: they are learned from the next clock-ins and -outs.
        if (auto const in = s.opt_integer("clockInMin", 0, minutes_per_day - 1)) {
            p.clock_in_min = static_cast<std::int32_t>(*in);
            p.clock_ins = read_count(s, "clockIns");
            p.clock_out_min = static_cast<std::int32_t>(s.integer("clockOutMin", 0, minutes_per_day - 1));
            p.clock_outs = read_count(s, "clockOuts");
            p.last_in_day = static_cast<local_day>(s.integer("lastInDay", INT32_MIN, INT32_MAX));
        }
        // Nor one stored before a shift was learned per business day (first clock-in, last clock-out).
        p.out_pending = s.opt_time("clockOutPending");
        p.last_out_day = static_cast<local_day>(s.opt_integer("lastOutDay", INT32_MIN, INT32_MAX).value_or(0));
        // Nor one stored before days off were learned: counted from the next business day on.
        p.absent_in_row = read_absences(s);
        d.staff.push_back(std::move(p));
    });
    d.changeover_ms = o.integer("changeoverMs", 0, max_wait_ms);
    d.changeovers = read_count(o, "changeovers");
    // A view stored before the pick-up was learned has none: it is learned from the next starts.
    if (auto const pickup = o.opt_integer("pickupMs", 0, max_wait_ms)) {
        d.pickup_ms = *pickup;
        d.pickups = read_count(o, "pickups");
    }
    // Likewise the usual last start of a day.
    if (auto const last = o.opt_integer("lastStartMin", 0, minutes_per_day - 1)) {
        d.close.last_start_min = static_cast<std::int32_t>(*last);
        d.close.days = read_count(o, "days");
        d.close_by_weekday = read_closes(o);
    } else if (o.has("lastStartByWeekday")) {
        fail(errc::invalid_value, o.path_of("lastStartByWeekday"), "only with lastStartMin (the salon's close)");
    }
    d.latest_start = o.opt_time("latestStart");
    std::size_t band = 0;
    for_each_object(o, "leaving", d.leaving.size(), [&](object_view& b) {
        d.leaving[band].leaves = b.integer("leaves", 0, max_wait_ms);
        d.leaving[band].exposure_ms = b.integer("exposureMs", 0, max_wait_ms);
        // A view stored before `entered` was kept has none: no cap until outcomes count it again.
        d.leaving[band++].entered = b.opt_integer("entered", 0, max_wait_ms).value_or(0);
    });
    if (band != d.leaving.size()) {
        fail(errc::invalid_value, o.path_of("leaving"), fmt::format("expected {} age bands", d.leaving.size()));
    }
    return d;
}

void write_basis(json_writer& w, estimate_basis const& b) {
    if (b.seq.value() == 0) {
        return;
    }
    w.key("estimateBasis")
        .begin_object()
        .field("seq", b.seq.value())
        .key("at")
        .time(b.at)
        .field("first", b.first.value())
        .key("fullAt")
        .time(b.full_at)
        .field("line", b.line)
        .end_object();
}

estimate_basis read_basis(object_view& o) {
    estimate_basis b;
    b.seq = seq_t{static_cast<std::uint64_t>(o.integer("seq", 1, INT64_MAX))};
    b.at = o.time("at");
    b.first = seq_t{static_cast<std::uint64_t>(o.integer("first", 1, INT64_MAX))};
    b.full_at = o.time("fullAt");
    b.line = static_cast<std::uint32_t>(o.integer("line", 0, token::pool_size));
    if (b.first.value() > b.seq.value() || b.full_at > b.at) {
        fail(errc::invalid_value, o.path_of("first"), "the chain's first walk-in comes after its last");
    }
    return b;
}

queue_view read_view(object_view o) {
    queue_view v;
    read_version(o);
    v.salon = salon_id{std::string{o.id("salonId")}};
    v.seq = seq_t{static_cast<std::uint64_t>(o.integer("seq", 0, INT64_MAX))};
    v.updated_at = o.time("updatedAt");
    read_salon_profile(o, v);
    for_each_object(o, "waiting", token::pool_size, [&](object_view& t) {
        waiting_ticket w;
        read_head(t, w);
        w.place = static_cast<std::uint64_t>(t.integer("place", 0, max_place));
        w.position = static_cast<std::uint32_t>(t.integer("position", 1, token::pool_size));
        if (w.position != v.waiting.size() + 1) {
            fail(errc::invalid_value, t.path_of("position"), "positions are 1..n in line order");
        }
        w.expected = read_estimate(t);
        v.waiting.push_back(std::move(w));
    });
    for_each_object(o, "serving", token::pool_size, [&](object_view& t) {
        serving_ticket s;
        read_head(t, s);
        s.staff = staff_id{std::string{t.id("staffId")}};
        s.staff_name = std::string{t.string("staffName", limits::name)};
        s.started_at = t.time("startedAt");
        s.expected_end = t.time("expectedEnd");
        if (auto reason = t.opt_string("priority", 64)) {
            s.priority = parse_priority_reason(*reason);
            if (!s.priority) {
                fail(errc::invalid_value, t.path_of("priority"), "not a priority reason");
            }
        }
        v.serving.push_back(std::move(s));
    });
    for_each_object(o, "skipped", token::pool_size, [&](object_view& t) {
        skipped_ticket s;
        read_head(t, s);
        s.place = static_cast<std::uint64_t>(t.integer("place", 0, max_place));
        s.skipped_at = t.time("skippedAt");
        v.skipped.push_back(std::move(s));
    });
    auto priority = o.object("priority");
    v.priority_day = priority.day("day");
    v.priority_used = static_cast<std::int32_t>(priority.integer("used", 0, 1000));
    (void)priority.integer("limit", 0, 1000); // config.priorityDailyLimit, repeated for the reader's convenience
    priority.finish();
    if (auto join = o.opt_object("joinNow")) {
        v.join_now = read_estimate(*join);
        join->finish();
    }
    ended_tickets::list ended;
    for_each_object(o, "recentlyEnded", queue_view::max_recently_ended, [&](object_view& t) {
        ended_ticket e;
        e.id = read_ticket(t, "ticketId");
        e.tok = read_token(t, "token");
        e.status = read_status(t, "status");
        e.at = t.time("at");
        e.join_wait = read_told(t);
        ended.push_back(e);
    });
    if (!ended.empty()) {
        v.recently_ended = ended_tickets{std::move(ended)};
    }
    // Absent from views stored before the predictor: they start with the catalogue's durations.
    if (auto observed = o.opt_object("observed")) {
        v.observed = read_observed(*observed);
        observed->finish();
    }
    // Absent from views stored before walk-ins were chained, or without a chain: the next walk-in begins one.
    if (auto basis = o.opt_object("estimateBasis")) {
        v.basis = read_basis(*basis);
        basis->finish();
    }
    o.finish();
    return v;
}

} // namespace

void write_view(json_writer& w, queue_view const& v, view_form form) {
    w.begin_object()
        .field("v", schema_version)
        .field("salonId", v.salon.value())
        .field("seq", v.seq.value())
        .key("updatedAt")
        .time(v.updated_at);
    write_salon_profile(w, v);
    w.key("waiting").begin_array();
    for (auto const& t : v.waiting) {
        write_head(w, t);
        w.field("place", t.place).field("position", t.position);
        write_estimate(w, t.expected);
        w.end_object();
    }
    w.end_array().key("serving").begin_array();
    for (auto const& t : v.serving) {
        write_head(w, t);
        w.field("staffId", t.staff.value())
            .field("staffName", t.staff_name)
            .key("startedAt")
            .time(t.started_at)
            .key("expectedEnd")
            .time(t.expected_end);
        if (t.priority) {
            w.field("priority", to_string(*t.priority));
        }
        w.end_object();
    }
    w.end_array().key("skipped").begin_array();
    for (auto const& t : v.skipped) {
        write_head(w, t);
        w.field("place", t.place).key("skippedAt").time(t.skipped_at).end_object();
    }
    w.end_array().key("priority").begin_object().key("day").day(v.priority_day);
    w.field("used", v.priority_used).field("limit", v.config.priority_daily_limit).end_object();
    if (v.join_now) {
        w.key("joinNow").begin_object();
        write_estimate(w, v.join_now);
        w.end_object();
    }
    w.key("recentlyEnded").begin_array();
    auto const shown = form == view_form::served ? std::min(v.recently_ended.size(), queue_view::served_recently_ended)
                                                 : v.recently_ended.size();
    for (auto const& t : v.recently_ended | std::views::drop(v.recently_ended.size() - shown)) {
        w.begin_object()
            .field("ticketId", t.id.value())
            .field("token", t.tok.str())
            .field("status", to_string(t.status))
            .key("at")
            .time(t.at);
        write_told(w, t.join_wait);
        w.end_object();
    }
    w.end_array();
    if (form == view_form::stored) {
        write_observed(w, v.observed);
        write_basis(w, v.basis);
    }
    w.end_object();
}

std::string encode_view(queue_view const& v, view_form form) {
    json_writer w;
    write_view(w, v, form);
    return w.str();
}

std::expected<queue_view, error> decode_view(std::string_view json) {
    try {
        return read_view(as_object(parse_document(json, limits::record), ""));
    } catch (decode_failure& f) {
        return std::unexpected(std::move(f.err));
    }
}

std::optional<std::string> encode_ticket(queue_view const& v, ticket_id id) {
    json_writer w;
    auto const head = [&](token tok, ticket_status status) {
        w.begin_object()
            .field("v", schema_version)
            .field("salonId", v.salon.value())
            .field("salonName", v.name)
            .field("timezone", v.timezone)
            .field("seq", v.seq.value())
            .key("updatedAt")
            .time(v.updated_at);
        w.field("ticketId", id.value()).field("token", tok.str()).field("status", to_string(status));
    };
    if (auto const* t = v.find_waiting(id)) {
        head(t->tok, ticket_status::waiting);
        w.field("position", t->position);
        write_estimate(w, t->expected);
    } else if (auto const* s = v.find_serving(id)) {
        head(s->tok, ticket_status::serving);
        w.field("staffName", s->staff_name)
            .key("startedAt")
            .time(s->started_at)
            .key("expectedEnd")
            .time(s->expected_end);
    } else if (auto const* k = v.find_skipped(id)) {
        head(k->tok, ticket_status::skipped);
        w.key("skippedAt").time(k->skipped_at);
    } else if (auto const* e = v.find_ended(id)) {
        head(e->tok, e->status);
        w.key("endedAt").time(e->at);
    } else {
        return std::nullopt;
    }
    w.end_object();
    return w.str();
}

} // namespace salonq::projections
