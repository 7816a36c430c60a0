#include "projections/stats/summary.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace salonq::projections::stats {
namespace {

std::optional<double> ratio(std::int64_t part, std::int64_t whole) {
    return whole > 0 ? std::optional{static_cast<double>(part) / static_cast<double>(whole)} : std::nullopt;
}

// The visits' own figures on each day: counts, waits, service times, arrivals.
void add_visits(salon_history const& h, std::map<engine::local_day, day_summary>& days) {
    std::map<engine::local_day, std::vector<std::int64_t>> waits;
    std::map<engine::local_day, std::vector<std::int64_t>> services;
    std::map<std::pair<engine::local_day, int>, std::vector<std::int64_t>> hourly;
    std::map<engine::local_day, std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>>> errors;
    for (auto const& [id, v] : h.visits()) {
        auto& d = days[v.joined_local.day];
        auto const hour = v.joined_local.minute / 60;
        ++d.walk_ins;
        ++d.arrivals_by_hour.at(static_cast<std::size_t>(hour));
        d.served += v.end == visit_end::served ? 1 : 0;
        d.cancelled += v.end == visit_end::cancelled ? 1 : 0;
        d.no_shows += v.end == visit_end::no_show ? 1 : 0;
        d.open += v.end == visit_end::waiting || v.end == visit_end::serving ? 1 : 0;
        d.revenue_cents += v.amount_cents;
        if (v.priority) {
            ++d.priority_by_reason.at(static_cast<std::size_t>(*v.priority));
        }
        if (v.waited_ms) {
            waits[v.joined_local.day].push_back(*v.waited_ms);
            hourly[{v.joined_local.day, hour}].push_back(*v.waited_ms);
            if (v.estimated_wait_ms && v.sum_ahead_wait_ms) {
                ++d.prediction.scored;
                auto& [predictor, sum_ahead] = errors[v.joined_local.day];
                predictor.push_back(*v.estimated_wait_ms - *v.waited_ms);
                if (v.estimated_low_ms && v.estimated_high_ms) {
                    auto& p = d.prediction;
                    ++(*v.waited_ms < *v.estimated_low_ms    ? p.before_range
                       : *v.waited_ms > *v.estimated_high_ms ? p.after_range
                                                             : p.in_range);
                }
                sum_ahead.push_back(*v.sum_ahead_wait_ms - *v.waited_ms);
            } else {
                ++d.prediction.unscored;
            }
        }
        if (v.service_ms) {
            services[v.joined_local.day].push_back(*v.service_ms);
        }
        // Sent home: a no-show never called (one skipped was called, whether or not it was restored later).
        if (v.end == visit_end::no_show && v.skips == 0) {
            ++d.prediction.sent_home;
            d.prediction.sent_home_told_today += v.told_today_pct == 100 ? 1 : 0;
        }
    }
    for (auto& [day, values] : waits) {
        days[day].wait_ms = percentiles_of(std::move(values));
    }
    for (auto& [day, values] : services) {
        days[day].service_ms = percentiles_of(std::move(values));
    }
    for (auto const& [day, e] : errors) {
        days[day].prediction.predictor = errors_of(e.first);
        days[day].prediction.sum_ahead = errors_of(e.second);
    }
    for (auto& [key, values] : hourly) {
        days[key.first].wait_ms_by_hour.at(static_cast<std::size_t>(key.second)) = percentiles_of(std::move(values));
    }
}

} // namespace

percentiles percentiles_of(std::vector<std::int64_t> values) {
    if (values.empty()) {
        return {};
    }
    std::ranges::sort(values);
    auto const at = [&](double p) {
        auto const rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
        return values[std::max<std::size_t>(rank, 1) - 1];
    };
    return {at(0.5), at(0.9)};
}

estimate_errors errors_of(std::vector<std::int64_t> const& signed_errors_ms) {
    if (signed_errors_ms.empty()) {
        return {};
    }
    std::vector<std::int64_t> absolute;
    absolute.reserve(signed_errors_ms.size());
    double sum = 0;
    double sum_abs = 0;
    for (auto const e : signed_errors_ms) {
        absolute.push_back(e < 0 ? -e : e);
        sum += static_cast<double>(e);
        sum_abs += static_cast<double>(absolute.back());
    }
    auto const n = static_cast<double>(signed_errors_ms.size());
    return {std::llround(sum_abs / n), percentiles_of(std::move(absolute)).p90, std::llround(sum / n)};
}

std::string joined_codes(std::vector<std::string> const& services) {
    std::string out;
    for (auto const& s : services) {
        out += out.empty() ? "" : "+";
        out += s;
    }
    return out;
}

std::string combination_of(std::vector<std::string> services) {
    std::ranges::sort(services);
    return joined_codes(services);
}

std::uint32_t day_summary::priority_starts() const noexcept {
    return std::accumulate(priority_by_reason.begin(), priority_by_reason.end(), std::uint32_t{0});
}

std::optional<double> day_summary::utilisation() const noexcept { return ratio(busy_ms, on_duty_ms); }
std::optional<double> staff_summary::utilisation() const noexcept { return ratio(work.busy_ms, work.on_duty_ms); }

std::vector<day_summary> summarize_days(salon_history const& h) {
    std::map<engine::local_day, day_summary> days;
    add_visits(h, days);
    for (auto const& [day, counts] : h.days()) {
        auto& d = days[day];
        d.skips = counts.skips;
        d.undo_skips = counts.undo_skips;
        for (auto const& [staff, work] : counts.staff) {
            d.on_duty_ms += work.on_duty_ms;
            d.busy_ms += work.busy_ms;
        }
    }
    std::vector<day_summary> out;
    for (auto& [day, d] : days) {
        d.day = day;
        out.push_back(d);
    }
    return out;
}

std::vector<staff_summary> summarize_staff(salon_history const& h) {
    std::map<std::pair<engine::local_day, std::string>, std::vector<std::int64_t>> durations;
    for (auto const& [id, v] : h.visits()) {
        if (v.service_ms && v.staff && v.started) { // on the day the service started, as the staff's work
            durations[{engine::local_day_of(h.timezone(), *v.started), v.staff->value()}].push_back(*v.service_ms);
        }
    }
    std::vector<staff_summary> out;
    for (auto const& [day, counts] : h.days()) {
        for (auto const& [staff, work] : counts.staff) {
            auto it = durations.find({day, staff});
            out.push_back(
                {day, staff, work, it == durations.end() ? percentiles{} : percentiles_of(std::move(it->second))});
        }
    }
    return out;
}

std::vector<service_summary> summarize_services(salon_history const& h) {
    std::map<std::pair<engine::local_day, std::string>, service_summary> by;
    std::map<std::pair<engine::local_day, std::string>, std::vector<std::int64_t>> durations;
    for (auto const& [id, v] : h.visits()) {
        if (!v.service_ms) {
            continue;
        }
        auto const key = std::pair{v.joined_local.day, combination_of(v.services)};
        auto& s = by[key];
        s.day = key.first;
        s.services = key.second;
        s.planned_min = v.planned_min;
        ++s.served;
        durations[key].push_back(*v.service_ms);
    }
    std::vector<service_summary> out;
    for (auto& [key, s] : by) {
        s.service_ms = percentiles_of(std::move(durations[key]));
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace salonq::projections::stats
