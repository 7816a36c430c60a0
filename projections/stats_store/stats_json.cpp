#include "projections/stats_store/stats_json.hpp"

#include "engine/codec/json_writer.hpp"

#include <array>
#include <map>
#include <string_view>

namespace salonq::projections::stats_store {
namespace {

using engine::codec::json_writer;

// By engine::priority_reason.
constexpr std::array<std::string_view, 4> reason_keys{"seniorCitizen", "medicalUrgency", "child", "systemException"};

void write_percentiles(json_writer& w, std::string_view key, stats::percentiles const& p) {
    w.key(key).begin_object().key("p50");
    p.p50 ? w.number(*p.p50) : w.null();
    w.key("p90");
    p.p90 ? w.number(*p.p90) : w.null();
    w.end_object();
}

void write_optional(json_writer& w, std::string_view key, std::optional<std::int64_t> v) {
    w.key(key);
    v ? w.number(*v) : w.null();
}

void write_errors(json_writer& w, std::string_view key, stats::estimate_errors const& e) {
    w.key(key).begin_object();
    write_optional(w, "meanAbsErrorMs", e.mean_abs_ms);
    write_optional(w, "p90AbsErrorMs", e.p90_abs_ms);
    write_optional(w, "biasMs", e.bias_ms);
    w.end_object();
}

void write_prediction(json_writer& w, stats::prediction_accuracy const& p) {
    w.key("prediction").begin_object().field("scored", p.scored).field("unscored", p.unscored);
    write_errors(w, "predictor", p.predictor);
    write_errors(w, "sumAhead", p.sum_ahead);
    w.key("likelyRange")
        .begin_object()
        .field("within", p.in_range)
        .field("before", p.before_range)
        .field("after", p.after_range)
        .end_object();
    w.field("sentHome", p.sent_home).field("sentHomeToldToday", p.sent_home_told_today);
    w.end_object();
}

void write_utilisation(json_writer& w, std::optional<double> u) {
    w.key("utilisation");
    // Three decimals, as the reports print it: a ratio, not a measurement to the last bit.
    u ? w.raw(fmt::format("{:.3f}", *u)) : w.null();
}

void write_day(json_writer& w, stats::day_summary const& d) {
    w.begin_object().key("day").day(d.day).field("walkIns", d.walk_ins).field("served", d.served);
    w.field("cancelled", d.cancelled).field("noShows", d.no_shows).field("open", d.open);
    w.field("skips", d.skips).field("undoSkips", d.undo_skips).field("priorityStarts", d.priority_starts());
    w.key("priorityByReason").begin_object();
    for (std::size_t i = 0; i < reason_keys.size(); ++i) {
        w.field(reason_keys.at(i), d.priority_by_reason.at(i));
    }
    w.end_object();
    write_percentiles(w, "waitMs", d.wait_ms);
    write_percentiles(w, "serviceMs", d.service_ms);
    w.field("revenueCents", d.revenue_cents).field("onDutyMs", d.on_duty_ms).field("busyMs", d.busy_ms);
    write_utilisation(w, d.utilisation());
    write_prediction(w, d.prediction);
    w.key("byHour").begin_array();
    for (std::size_t hour = 0; hour < d.arrivals_by_hour.size(); ++hour) {
        if (d.arrivals_by_hour.at(hour) > 0) {
            w.begin_object().field("hour", static_cast<std::uint32_t>(hour));
            w.field("arrivals", d.arrivals_by_hour.at(hour));
            write_percentiles(w, "waitMs", d.wait_ms_by_hour.at(hour));
            w.end_object();
        }
    }
    w.end_array();
}

void write_staff(json_writer& w, stats::staff_summary const& s) {
    w.begin_object().field("staffId", s.staff).field("served", s.work.served);
    w.field("onDutyMs", s.work.on_duty_ms).field("busyMs", s.work.busy_ms);
    write_utilisation(w, s.utilisation());
    w.field("revenueCents", s.work.revenue_cents);
    write_percentiles(w, "serviceMs", s.service_ms);
    w.end_object();
}

void write_service(json_writer& w, stats::service_summary const& s) {
    w.begin_object().field("services", s.services).field("plannedMin", s.planned_min).field("served", s.served);
    write_percentiles(w, "serviceMs", s.service_ms);
    w.end_object();
}

} // namespace

std::string encode_stats(salon_stats const& s) {
    // The staff and services rows by day, to nest them in their day.
    std::multimap<engine::local_day, stats::staff_summary const*> staff;
    for (auto const& x : s.staff) {
        staff.emplace(x.day, &x);
    }
    std::multimap<engine::local_day, stats::service_summary const*> services;
    for (auto const& x : s.services) {
        services.emplace(x.day, &x);
    }
    json_writer w;
    w.begin_object().field("salonId", s.salon.value()).field("timezone", s.timezone);
    w.key("from").day(s.first).key("to").day(s.last).key("days").begin_array();
    for (auto const& d : s.days) {
        write_day(w, d);
        w.key("staff").begin_array();
        for (auto [it, end] = staff.equal_range(d.day); it != end; ++it) {
            write_staff(w, *it->second);
        }
        w.end_array().key("services").begin_array();
        for (auto [it, end] = services.equal_range(d.day); it != end; ++it) {
            write_service(w, *it->second);
        }
        w.end_array().end_object();
    }
    w.end_array().end_object();
    return w.str();
}

} // namespace salonq::projections::stats_store
