#include "replay/report/reports.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/domain/calendar.hpp"
#include "projections/staffing/planner.hpp"
#include "projections/stats/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>

namespace salonq::replay {
namespace {

namespace st = projections::stats;

struct named_report {
    std::string_view name;
    report_kind kind;
};
constexpr std::array<named_report, 7> names{{{"daily", report_kind::daily},
                                             {"hourly", report_kind::hourly},
                                             {"staff", report_kind::staff},
                                             {"services", report_kind::services},
                                             {"priority-audit", report_kind::priority_audit},
                                             {"waits", report_kind::waits},
                                             {"staffing", report_kind::staffing}}};

cell minutes(std::optional<std::int64_t> ms) {
    return ms ? cell{decimal{static_cast<double>(*ms) / 60'000.0, 1}} : cell{};
}
cell minutes(std::int64_t ms) { return cell{decimal{static_cast<double>(ms) / 60'000.0, 1}}; }
cell count(std::uint64_t n) { return cell{static_cast<std::int64_t>(n)}; }
cell fraction(std::optional<double> f) { return f ? cell{decimal{*f, 3}} : cell{}; }
cell text(std::string_view s) { return cell{std::string{s}}; }

using salons_map = std::map<std::string, st::salon_history>;

table daily(salons_map const& salons) {
    table t{{"salonId",
             "day",
             "walkIns",
             "served",
             "cancelled",
             "noShows",
             "open",
             "skips",
             "undoSkips",
             "priorityStarts",
             "prioritySeniorCitizen",
             "priorityMedicalUrgency",
             "priorityChild",
             "prioritySystemException",
             "waitP50Min",
             "waitP90Min",
             "serviceP50Min",
             "serviceP90Min",
             "revenueCents",
             "onDutyMin",
             "busyMin",
             "utilisation"},
            {}};
    for (auto const& [salon, h] : salons) {
        for (auto const& d : st::summarize_days(h)) {
            t.rows.push_back({text(salon),
                              engine::codec::format_day(d.day),
                              count(d.walk_ins),
                              count(d.served),
                              count(d.cancelled),
                              count(d.no_shows),
                              count(d.open),
                              count(d.skips),
                              count(d.undo_skips),
                              count(d.priority_starts()),
                              count(d.priority_by_reason[0]),
                              count(d.priority_by_reason[1]),
                              count(d.priority_by_reason[2]),
                              count(d.priority_by_reason[3]),
                              minutes(d.wait_ms.p50),
                              minutes(d.wait_ms.p90),
                              minutes(d.service_ms.p50),
                              minutes(d.service_ms.p90),
                              count(d.revenue_cents),
                              minutes(d.on_duty_ms),
                              minutes(d.busy_ms),
                              fraction(d.utilisation())});
        }
    }
    return t;
}

table hourly(salons_map const& salons) {
    table t{{"salonId", "day", "hour", "arrivals", "waitP50Min", "waitP90Min"}, {}};
    for (auto const& [salon, h] : salons) {
        for (auto const& d : st::summarize_days(h)) {
            for (std::size_t hour = 0; hour < 24; ++hour) {
                if (d.arrivals_by_hour.at(hour) > 0) {
                    t.rows.push_back({text(salon), engine::codec::format_day(d.day), count(hour),
                                      count(d.arrivals_by_hour.at(hour)), minutes(d.wait_ms_by_hour.at(hour).p50),
                                      minutes(d.wait_ms_by_hour.at(hour).p90)});
                }
            }
        }
    }
    return t;
}

table staff(salons_map const& salons) {
    table t{{"salonId", "day", "staffId", "served", "onDutyMin", "busyMin", "utilisation", "revenueCents",
             "serviceP50Min", "serviceP90Min"},
            {}};
    for (auto const& [salon, h] : salons) {
        for (auto const& s : st::summarize_staff(h)) {
            t.rows.push_back({text(salon), engine::codec::format_day(s.day), text(s.staff), count(s.work.served),
                              minutes(s.work.on_duty_ms), minutes(s.work.busy_ms), fraction(s.utilisation()),
                              count(s.work.revenue_cents), minutes(s.service_ms.p50), minutes(s.service_ms.p90)});
        }
    }
    return t;
}

table services(salons_map const& salons) {
    table t{{"salonId", "day", "services", "plannedMin", "served", "serviceP50Min", "serviceP90Min"}, {}};
    for (auto const& [salon, h] : salons) {
        for (auto const& s : st::summarize_services(h)) {
            t.rows.push_back({text(salon), engine::codec::format_day(s.day), text(s.services), count(s.planned_min),
                              count(s.served), minutes(s.service_ms.p50), minutes(s.service_ms.p90)});
        }
    }
    return t;
}

table priority_audit(salons_map const& salons) {
    table t{{"salonId", "day", "at", "ticketId", "reason", "orderedBy", "orderedByRole", "staffId", "positionBefore",
             "usedToday", "dailyLimit", "waitedMin"},
            {}};
    for (auto const& [salon, h] : salons) {
        for (auto const& p : h.priority_starts()) {
            t.rows.push_back({text(salon), engine::codec::format_day(p.day), engine::codec::format_time(p.at),
                              count(p.ticket.value()), text(engine::to_string(p.reason)), text(p.ordered_by),
                              text(engine::to_string(p.ordered_by_role)), text(p.staff.value()),
                              count(p.position_before), count(p.used_today), count(p.daily_limit),
                              minutes(p.waited_ms)});
        }
    }
    return t;
}

table waits(salons_map const& salons) {
    table t{{"salonId", "day", "ticketId", "token", "services", "joinedAt", "joinedLocal", "positionAtJoin",
             "startedAt", "waitedMin", "staffId", "serviceMin", "outcome", "priorityReason", "skips", "amountCents"},
            {}};
    for (auto const& [salon, h] : salons) {
        for (auto const& [id, v] : h.visits()) {
            t.rows.push_back(
                {text(salon), engine::codec::format_day(v.joined_local.day), count(id), text(v.token),
                 st::joined_codes(v.services), engine::codec::format_time(v.joined),
                 fmt::format("{:02}:{:02}", v.joined_local.minute / 60, v.joined_local.minute % 60),
                 count(v.position_at_join), v.started ? cell{engine::codec::format_time(*v.started)} : cell{},
                 minutes(v.waited_ms), v.staff ? cell{v.staff->value()} : cell{}, minutes(v.service_ms),
                 text(st::to_string(v.end)), v.priority ? cell{std::string{engine::to_string(*v.priority)}} : cell{},
                 count(v.skips), count(v.amount_cents)});
        }
    }
    return t;
}

std::optional<engine::local_day> day_of(std::optional<std::string> const& text) {
    if (!text) {
        return std::nullopt;
    }
    return engine::codec::parse_day(*text);
}

// Per salon, the hours of the week anyone comes or someone is needed: the advised staff and the waits the
// simulation gives with them, beside the waits customers had (docs/staffing.md).
table staffing(salons_map const& salons, report_settings const& settings) {
    namespace sf = projections::staffing;
    table t{{"salonId", "weekday", "hour", "arrivalsPerHour", "staff", "waitP50Min", "waitP90Min", "meetsTarget",
             "observedStaff", "observedWaitP90Min", "weeksObserved"},
            {}};
    sf::plan_options options;
    options.target_p90_ms = settings.target_wait_ms;
    for (auto const& [salon, h] : salons) {
        sf::learning_days const days{day_of(settings.days.first_in(h.timezone())),
                                     day_of(settings.days.last_in(h.timezone()))};
        auto const demand = sf::demand_of(h, days);
        if (demand.empty()) { // no visits on those days, or no durations to simulate with: no advice to give
            continue;
        }
        auto const advice = sf::plan_staffing(demand, options);
        for (std::size_t hour = 0; hour < sf::hours_per_week; ++hour) {
            auto const& a = advice.hours.at(hour);
            if (demand.arrivals_per_hour.at(hour) <= 0 && a.staff == 0) {
                continue;
            }
            auto const observed = st::percentiles_of(demand.observed_wait_ms.at(hour));
            t.rows.push_back({text(salon), text(sf::weekday_name(hour)), count(hour % 24),
                              cell{decimal{demand.arrivals_per_hour.at(hour), 2}}, count(a.staff),
                              minutes(a.wait_p50_ms), minutes(a.wait_p90_ms), text(a.meets_target ? "yes" : "no"),
                              cell{decimal{demand.observed_staff.at(hour), 1}}, minutes(observed.p90),
                              count(demand.weeks_seen.at(hour))});
        }
    }
    return t;
}

} // namespace

std::optional<report_kind> parse_report(std::string_view name) noexcept {
    for (auto const& n : names) {
        if (n.name == name) {
            return n.kind;
        }
    }
    return std::nullopt;
}

std::vector<std::string_view> report_names() {
    std::vector<std::string_view> out;
    out.reserve(names.size());
    for (auto const& n : names) {
        out.push_back(n.name);
    }
    return out;
}

table make_report(report_kind kind, salons_map const& salons, report_settings const& settings) {
    switch (kind) {
    case report_kind::daily:
        return daily(salons);
    case report_kind::hourly:
        return hourly(salons);
    case report_kind::staff:
        return staff(salons);
    case report_kind::services:
        return services(salons);
    case report_kind::priority_audit:
        return priority_audit(salons);
    case report_kind::waits:
        return waits(salons);
    case report_kind::staffing:
        return staffing(salons, settings);
    }
    return {};
}

void report_sink::take(replayed const& /*r*/, engine::log_entry const* entry) {
    if (auto const* e = std::get_if<engine::event>(entry)) {
        salons_.try_emplace(e->salon.value(), e->salon).first->second.apply(*e);
    }
}

day_window day_window::of_times(std::optional<std::string> const& from, bool from_is_date,
                                std::optional<std::string> const& to, bool to_is_date) {
    day_window w;
    if (from && from_is_date) {
        w.first = from->substr(0, 10);
    } else if (from) {
        w.at_first = engine::codec::parse_time(*from);
    }
    if (to && to_is_date) { // a date's midnight: the day before it is the last
        auto const d = engine::codec::parse_day(to->substr(0, 10)).value_or(0);
        w.last = engine::codec::format_day(d - 1);
    } else if (to) {
        w.at_last = engine::codec::parse_time(*to);
    }
    return w;
}

std::optional<std::string> day_window::first_in(std::string_view timezone) const {
    if (at_first) {
        return engine::codec::format_day(engine::local_day_of(timezone, *at_first));
    }
    return first;
}

std::optional<std::string> day_window::last_in(std::string_view timezone) const {
    if (at_last) {
        // --to is exclusive: the last day kept is that of the millisecond before it (a local midnight ends the day
        // before, also where a DST change makes a day begin at 01:00).
        return engine::codec::format_day(engine::local_day_of(timezone, *at_last - std::chrono::milliseconds{1}));
    }
    return last;
}

bool day_window::holds(std::string_view day, std::string_view timezone) const {
    auto const from = first_in(timezone);
    auto const to = last_in(timezone);
    return (!from || day >= *from) && (!to || day <= *to);
}

bool report_sink::finish() {
    for (auto& [salon, h] : salons_) {
        h.close_open_shifts(); // as GET .../stats does: the shifts still open count until the salon's latest event
    }
    auto t = make_report(kind_, salons_, settings_);
    auto const& days = settings_.days;
    if (kind_ != report_kind::staffing && days.bounded()) {
        auto const at = [&](std::string_view name) {
            return static_cast<std::size_t>(std::ranges::find(t.columns, name) - t.columns.begin());
        };
        auto const day_column = at("day");
        auto const salon_column = at("salonId");
        std::erase_if(t.rows, [&](std::vector<cell> const& row) {
            auto const* day = day_column < row.size() ? std::get_if<std::string>(&row[day_column]) : nullptr;
            auto const* salon = salon_column < row.size() ? std::get_if<std::string>(&row[salon_column]) : nullptr;
            auto const found = salon != nullptr ? salons_.find(*salon) : salons_.end();
            std::string_view const zone = found != salons_.end() ? found->second.timezone() : std::string_view{};
            return day == nullptr || !days.holds(*day, zone);
        });
    }
    rows_ = t.rows.size();
    write_table(out_, t, format_);
    return out_.flush();
}

} // namespace salonq::replay
