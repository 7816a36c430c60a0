#include "projections/staffing/demand.hpp"

#include "engine/domain/calendar.hpp"

#include <algorithm>
#include <array>
#include <numeric>

namespace salonq::projections::staffing {
namespace {

constexpr std::array<std::string_view, 7> weekdays{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::int64_t ms_per_minute = 60'000;

bool chosen(learning_days const& days, engine::local_day d) noexcept {
    return (!days.first || d >= *days.first) && (!days.last || d <= *days.last);
}

// Each hour of the week counted once for every day of its weekday in [first, last].
weekly<std::uint32_t> hours_spanned(engine::local_day first, engine::local_day last) {
    weekly<std::uint32_t> seen{};
    for (auto d = first; d <= last; ++d) {
        auto const base = engine::weekday_of(d) * 24;
        for (std::size_t h = 0; h < 24; ++h) {
            ++seen.at(base + h);
        }
    }
    return seen;
}

// Staff time on duty per hour of the week: the chosen days' time per local hour, as the history's fold cut it (at
// the salon's local hours, so zones with half-hour offsets and clock changes count right). From the days' counts,
// not the shifts, so a store that keeps a history in parts (the stats store) gives the same figures as a full fold.
weekly<double> staff_ms_by_hour(stats::salon_history const& h, learning_days const& days) {
    weekly<double> ms{};
    for (auto const& [day, counts] : h.days()) {
        if (!chosen(days, day)) {
            continue;
        }
        auto const base = engine::weekday_of(day) * 24;
        for (std::size_t hour = 0; hour < 24; ++hour) {
            ms.at(base + hour) += static_cast<double>(counts.on_duty_ms_by_hour.at(hour));
        }
    }
    return ms;
}

} // namespace

std::size_t hour_of_week(engine::local_clock c) noexcept {
    return (engine::weekday_of(c.day) * 24) + static_cast<std::size_t>(std::clamp(c.minute / 60, 0, 23));
}

std::string_view weekday_name(std::size_t hour_of_week) noexcept { return weekdays.at((hour_of_week / 24) % 7); }

double weekly_demand::mean_service_ms() const noexcept {
    if (service_ms.empty()) {
        return 0;
    }
    return static_cast<double>(std::accumulate(service_ms.begin(), service_ms.end(), std::int64_t{0})) /
           static_cast<double>(service_ms.size());
}

weekly_demand demand_of(stats::salon_history const& h, learning_days days) {
    weekly_demand d;
    weekly<std::uint32_t> arrivals{};
    std::vector<std::int64_t> planned;
    std::optional<engine::local_day> first;
    std::optional<engine::local_day> last;
    for (auto const& [id, v] : h.visits()) {
        auto const day = v.joined_local.day;
        if (!chosen(days, day)) {
            continue;
        }
        first = std::min(first.value_or(day), day);
        last = std::max(last.value_or(day), day);
        ++d.visits;
        auto const hour = hour_of_week(v.joined_local);
        ++arrivals.at(hour);
        if (v.waited_ms) {
            d.observed_wait_ms.at(hour).push_back(*v.waited_ms);
        }
        if (v.service_ms && v.end == stats::visit_end::served) {
            d.service_ms.push_back(*v.service_ms);
        }
        if (v.planned_min > 0) {
            planned.push_back(v.planned_min * ms_per_minute);
        }
    }
    if (!first || !last) {
        return d;
    }
    if (d.service_ms.empty()) {
        d.service_ms = std::move(planned);
    }
    // The days asked for, where given: quiet days at either end count as days with nobody (a window of days is the
    // analyst's statement of when the salon was open to walk-ins); otherwise first to last visit.
    d.weeks_seen = hours_spanned(days.first.value_or(*first), days.last.value_or(*last));
    auto const staff_ms = staff_ms_by_hour(h, days);
    for (std::size_t hour = 0; hour < hours_per_week; ++hour) {
        if (auto const weeks = static_cast<double>(d.weeks_seen.at(hour)); weeks > 0) {
            d.arrivals_per_hour.at(hour) = static_cast<double>(arrivals.at(hour)) / weeks;
            d.observed_staff.at(hour) = staff_ms.at(hour) / (weeks * ms_per_hour);
        }
    }
    return d;
}

} // namespace salonq::projections::staffing
