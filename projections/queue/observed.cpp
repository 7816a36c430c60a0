#include "projections/queue/observed.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace salonq::projections {
namespace {

using namespace salonq::engine;

// The floors of the weights (of ratio_one): how fast each statistic forgets. Services get a dozen or so
// observations a day in a busy salon, so a floor of 8 % weighs about the last two days; a staff member's speed
// moves slower (it mixes all services); the changeover and the served share are salon-wide and change little.
constexpr std::int64_t service_weight_floor = 800;
constexpr std::int64_t staff_weight_floor = 500;
constexpr std::int64_t changeover_weight_floor = 1000;
// A shift's times follow the last week or so of clock-ins and clock-outs.
constexpr std::int64_t shift_weight_floor = 1500;
// Every outcome keeps (1 - 1/leave_memory) of the leave statistics: they weigh roughly the last few hundred tickets.
constexpr std::int64_t leave_memory = 400;
// An observed duration counts at most 2.5x and at least a third of what was expected: a ticket completed hours
// late (a forgotten tap) must not ruin a day of estimates. (A lognormal service time with sigma 0.5 stays under
// 2.5x its mean 97 % of the time.)
constexpr std::int64_t min_ratio = ratio_one / 3;
constexpr std::int64_t max_ratio = ratio_one * 5 / 2;
constexpr std::int64_t max_changeover_ms = std::int64_t{15} * 60'000;
// A day whose last start came earlier than the usual moves it down by this much (a later one moves it up at once).
constexpr std::int64_t last_start_weight = 1000;
// The pick-up's running median moves by at most this, or a sixteenth of itself, per start.
constexpr std::int64_t pickup_step_ms = 3'000;

// A business day starts at 04:00 local: a shift that ends after midnight belongs to the day it started.
constexpr std::int32_t business_day_start_min = 4 * 60;
constexpr std::int32_t day_min = 24 * 60;

// The weight of the next observation: 1/(count + 1 + prior), where the prior counts as `prior` observations.
std::int64_t weight(std::uint32_t count, std::int64_t floor, std::int64_t prior = 1) {
    return std::max(ratio_one / (static_cast<std::int64_t>(count) + 1 + prior), floor);
}

std::int64_t blend(std::int64_t old, std::int64_t observed, std::int64_t w) {
    return old + (observed - old) * w / ratio_one;
}

std::int64_t prior_ms(std::vector<service_def> const& catalogue, std::string_view code, std::int64_t fallback) {
    auto it = std::find_if(catalogue.begin(), catalogue.end(), [&](service_def const& s) { return s.code == code; });
    return it == catalogue.end() ? fallback : std::int64_t{it->duration_min} * 60'000;
}

std::int64_t fallback_ms(std::vector<std::string> const& services, std::int32_t duration_min) {
    return services.empty() ? 0 : std::int64_t{duration_min} * 60'000 / static_cast<std::int64_t>(services.size());
}

staff_pace& staff_entry(observed_durations& o, staff_id const& id) {
    auto it = std::find_if(o.staff.begin(), o.staff.end(), [&](staff_pace const& s) { return s.staff == id; });
    if (it != o.staff.end()) {
        return *it;
    }
    staff_pace p;
    p.staff = id;
    o.staff.push_back(std::move(p));
    return o.staff.back();
}

service_pace* service_entry(observed_durations& o, std::vector<service_def> const& catalogue, std::string const& code,
                            std::int64_t fallback) {
    auto it = std::find_if(o.services.begin(), o.services.end(), [&](service_pace const& s) { return s.code == code; });
    if (it != o.services.end()) {
        return &*it;
    }
    if (o.services.size() >= salon_limits::services) {
        // Bounded like the catalogue: services it no longer has make room (or this one is not learned).
        std::erase_if(o.services, [&](service_pace const& s) { return prior_ms(catalogue, s.code, -1) < 0; });
        if (o.services.size() >= salon_limits::services) {
            return nullptr;
        }
    }
    o.services.push_back(service_pace{code, prior_ms(catalogue, code, fallback), 0});
    return &o.services.back();
}

void learn_service(observed_durations& o, std::vector<service_def> const& catalogue, std::string const& code,
                   std::int64_t fallback, std::int64_t ratio) {
    auto* s = service_entry(o, catalogue, code, fallback);
    if (s == nullptr) {
        return;
    }
    s->mean_ms = std::max<std::int64_t>(
        1, blend(s->mean_ms, s->mean_ms * ratio / ratio_one, weight(s->count, service_weight_floor)));
    ++s->count;
}

// Adds a ticket's time in the queue to the bands it went through, after decaying them; a leave counts in the band
// of the age it left at.
void add_outcome(leave_bands& bands, std::chrono::milliseconds waited, bool left) {
    auto const age = std::max<std::int64_t>(0, waited.count());
    std::int64_t from = 0;
    for (std::size_t b = 0; b < bands.size(); ++b) {
        auto& band = bands[b];
        band.leaves -= band.leaves / leave_memory;
        band.exposure_ms -= band.exposure_ms / leave_memory;
        band.entered -= band.entered / leave_memory;
        auto const to = b < leave_band_edges_min.size() ? leave_band_edges_min[b] * 60'000 : INT64_MAX;
        if (age > from) {
            band.exposure_ms += std::min(age, to) - from;
        }
        if (age >= from) {
            band.entered += ratio_one;
        }
        if (left && age >= from && age < to) {
            band.leaves += ratio_one;
        }
        from = to;
    }
}

} // namespace

service_pace const* observed_durations::find_service(std::string_view code) const noexcept {
    auto it = std::find_if(services.begin(), services.end(), [&](service_pace const& s) { return s.code == code; });
    return it == services.end() ? nullptr : &*it;
}

staff_pace const* observed_durations::find_staff(staff_id const& id) const noexcept {
    auto it = std::find_if(staff.begin(), staff.end(), [&](staff_pace const& s) { return s.staff == id; });
    return it == staff.end() ? nullptr : &*it;
}

std::int64_t observed_durations::speed_of(staff_id const& id) const noexcept {
    auto const* s = find_staff(id);
    return s == nullptr ? ratio_one : s->speed;
}

usual_close const* observed_durations::close_on(local_day day) const noexcept {
    auto const* salon = close.days >= close_days_seen ? &close : nullptr;
    auto const& weekday = close_by_weekday.at(weekday_of(day));
    if (weekday.days < close_days_seen) {
        return salon;
    }
    if (salon != nullptr && std::abs(business_minute(weekday.last_start_min) - business_minute(close.last_start_min)) <
                                weekday_close_margin_min) {
        return salon;
    }
    return &weekday;
}

std::optional<std::int64_t> service_mean_ms(observed_durations const& o, std::vector<service_def> const& catalogue,
                                            std::string_view code) {
    if (auto const* s = o.find_service(code)) {
        return s->mean_ms;
    }
    auto const prior = prior_ms(catalogue, code, -1);
    return prior < 0 ? std::nullopt : std::optional{prior};
}

std::int64_t base_duration_ms(observed_durations const& o, std::vector<service_def> const& catalogue,
                              std::vector<std::string> const& services, std::int32_t duration_min) {
    auto const fallback = fallback_ms(services, duration_min);
    std::int64_t total = 0;
    for (auto const& code : services) {
        total += service_mean_ms(o, catalogue, code).value_or(fallback);
    }
    return total;
}

void observe_completion(observed_durations& o, std::vector<service_def> const& catalogue, completed_service const& c) {
    auto const base = base_duration_ms(o, catalogue, c.services, c.duration_min);
    auto& member = staff_entry(o, c.staff);
    member.freed_at = c.others_waiting ? std::optional{c.at} : std::nullopt;
    member.idle_since = c.others_waiting ? std::nullopt : std::optional{c.at};
    if (base <= 0 || c.duration_ms <= 0) {
        return;
    }
    // The staff member's speed against the services' means, and the services' pace with the staff effect taken out.
    auto const staff_ratio = std::clamp(c.duration_ms * ratio_one / base, min_ratio, max_ratio);
    auto const service_ratio = std::clamp(staff_ratio * ratio_one / member.speed, min_ratio, max_ratio);
    member.speed = blend(member.speed, staff_ratio, weight(member.count, staff_weight_floor));
    ++member.count;
    auto const fallback = fallback_ms(c.services, c.duration_min);
    for (auto const& code : c.services) {
        learn_service(o, catalogue, code, fallback, service_ratio);
    }
}

std::int64_t stay_chance(leave_bands const& bands, std::chrono::milliseconds age, std::chrono::milliseconds ahead) {
    auto const start = std::max<std::int64_t>(0, age.count());
    auto const end = start + std::max<std::int64_t>(0, ahead.count());
    std::int64_t chance = ratio_one;
    std::int64_t from = 0;
    for (std::size_t b = 0; b < bands.size(); ++b) {
        auto const to = b < leave_band_edges_min.size() ? leave_band_edges_min[b] * 60'000 : INT64_MAX;
        auto const overlap = std::min(end, to) - std::max(start, from);
        auto const& band = bands[b];
        if (overlap > 0 && band.exposure_ms > 0) {
            // 1 - hazard x time in the band, with the hazard = leaves / exposure (a linear survival per band). In
            // the first band, never more leaving than its share of those who reached it: every ticket passes
            // through it, most called within seconds or minutes (or a demo's time lapse), and a hazard seen over
            // that says nothing of its later minutes. Not in the later bands, where the patient leave: there a
            // ticket waiting through the band leaves more often than those who reached it and were soon called
            // (capped there too, the weekly 8-staff MAE went from 6.3 to 6.5 minutes; docs/wait-prediction.md).
            auto const share = b == 0 && band.entered > 0 ? band.leaves * ratio_one / band.entered : ratio_one;
            auto const leave = std::min<std::int64_t>(std::min(ratio_one, share),
                                                      band.leaves * (overlap / 1000) /
                                                          std::max<std::int64_t>(1, band.exposure_ms / 1000));
            chance = chance * (ratio_one - leave) / ratio_one;
        }
        from = to;
    }
    return chance;
}

void observe_start(observed_durations& o, staff_id const& staff, instant at, std::chrono::milliseconds waited) {
    o.latest_start = at;
    auto& member = staff_entry(o, staff);
    if (member.freed_at) {
        auto const gap = std::chrono::duration_cast<std::chrono::milliseconds>(at - *member.freed_at).count();
        o.changeover_ms = blend(o.changeover_ms, std::clamp<std::int64_t>(gap, 0, max_changeover_ms),
                                weight(o.changeovers, changeover_weight_floor, 0));
        ++o.changeovers;
        member.freed_at.reset();
    } else if (member.idle_since) {
        // From when both were there: the later of the join and the staff member's idle start.
        auto const idle = std::chrono::duration_cast<std::chrono::milliseconds>(at - *member.idle_since).count();
        auto const seen = std::clamp<std::int64_t>(std::min(waited.count(), idle), 0, max_changeover_ms);
        if (o.pickups == 0) {
            o.pickup_ms = seen;
        } else if (seen != o.pickup_ms) {
            auto const step = std::max(pickup_step_ms, o.pickup_ms / 16);
            o.pickup_ms +=
                seen > o.pickup_ms ? std::min(step, seen - o.pickup_ms) : -std::min(step, o.pickup_ms - seen);
        }
        ++o.pickups;
    }
    member.idle_since.reset();
    add_outcome(o.leaving, waited, false);
}

local_clock business_clock_of(std::string_view timezone, instant t) noexcept {
    auto c = local_clock_of(timezone, t);
    if (c.minute < business_day_start_min) {
        --c.day;
        c.minute += day_min;
    }
    c.minute -= business_day_start_min;
    return c;
}

std::int32_t business_minute(std::int32_t local_minute) noexcept {
    return (local_minute - business_day_start_min + day_min) % day_min;
}

std::int32_t local_minute(std::int32_t business_minute) noexcept {
    return (business_minute + business_day_start_min) % day_min;
}

namespace {

// Learns one shift day's time (minutes since the business day's start) into a usual time of day (local minutes).
void learn_shift_time(std::int32_t& usual, std::uint32_t& days, std::int32_t minute) {
    usual = local_minute(
        static_cast<std::int32_t>(blend(business_minute(usual), minute, weight(days, shift_weight_floor, 0))));
    ++days;
}

// The pending clock-out is the last of its business day: learn it (once per business day).
void commit_clock_out(staff_pace& member, std::string_view timezone) {
    if (!member.out_pending) {
        return;
    }
    auto const out = business_clock_of(timezone, *member.out_pending);
    member.out_pending.reset();
    if (out.day > member.last_out_day) {
        learn_shift_time(member.clock_out_min, member.clock_outs, out.minute);
        member.last_out_day = out.day;
    }
}

// At the salon's first clock-in of business day `today`: who did not work on the last business day anyone came in
// (no clock-in or learned clock-out on it, and not on duty since before it: a forgotten clock-out, a night shift).
// Staff never seen clocking in are left alone (new, or not serving).
void count_absences(observed_durations& o, local_day today, std::vector<staff_id> const& on_duty) {
    local_day previous = 0;
    for (auto const& member : o.staff) {
        previous = member.clock_ins > 0 ? std::max(previous, member.last_in_day) : previous;
    }
    if (previous == 0 || previous >= today) {
        return; // nobody came in before, or someone already came in today
    }
    auto const weekday = weekday_of(previous);
    for (auto& member : o.staff) {
        if (member.clock_ins > 0) {
            auto& row = member.absent_in_row.at(weekday);
            bool const worked = member.last_in_day == previous || member.last_out_day >= previous ||
                                std::find(on_duty.begin(), on_duty.end(), member.staff) != on_duty.end();
            row = worked ? 0 : std::min<std::uint8_t>(row + 1, absent_cap);
        }
    }
}

// Learns a closed day's last start (minutes since its business day's start, so that one past midnight is later, not
// earlier) into a usual close.
void learn_close(usual_close& c, std::int32_t minute, bool line_left) {
    auto const usual = business_minute(c.last_start_min);
    auto const later = c.days == 0 || minute > usual;
    if (later || line_left) { // a day with nobody left waiting says when customers stopped coming, not the salon
        c.last_start_min =
            local_minute(later ? minute : static_cast<std::int32_t>(blend(usual, minute, last_start_weight)));
    }
    ++c.days;
}

} // namespace

void observe_clock(observed_durations& o, staff_id const& staff, bool in, instant at, std::string_view timezone,
                   std::vector<staff_id> const& on_duty) {
    auto const now = business_clock_of(timezone, at);
    // A clock event on a later business day than a pending clock-out's (anyone's: a staff member who does not come in
    // the next day has still gone home): that was its day's last.
    for (auto& other : o.staff) {
        if (other.out_pending && business_clock_of(timezone, *other.out_pending).day < now.day) {
            commit_clock_out(other, timezone);
        }
    }
    if (in) {
        count_absences(o, now.day, on_duty);
    }
    auto& member = staff_entry(o, staff);
    member.freed_at.reset();
    member.idle_since = in ? std::optional{at} : std::nullopt;
    if (!in) {
        member.out_pending = at; // the latest so far of its day (a lunch break's is replaced by the evening's)
        return;
    }
    if (member.last_in_day != now.day) { // only the first clock-in of a business day (not the one after lunch)
        learn_shift_time(member.clock_in_min, member.clock_ins, now.minute);
        member.last_in_day = now.day;
    }
}

void observe_day_closed(observed_durations& o, std::string_view timezone, std::vector<staff_id> const& on_duty,
                        bool line_left) {
    for (auto& member : o.staff) {
        if (std::find(on_duty.begin(), on_duty.end(), member.staff) == on_duty.end()) {
            commit_clock_out(member, timezone);
        }
    }
    if (!o.latest_start) {
        return;
    }
    auto const last = business_clock_of(timezone, *o.latest_start);
    learn_close(o.close, last.minute, line_left);
    learn_close(o.close_by_weekday.at(weekday_of(last.day)), last.minute, line_left);
    o.latest_start.reset();
}

void observe_line_empty(observed_durations& o, instant at) {
    for (auto& member : o.staff) {
        if (member.freed_at) {
            member.freed_at.reset();
            member.idle_since = at;
        }
    }
}

void observe_stayed(observed_durations& o, std::chrono::milliseconds waited) { add_outcome(o.leaving, waited, false); }

void observe_left(observed_durations& o, std::chrono::milliseconds waited) { add_outcome(o.leaving, waited, true); }

} // namespace salonq::projections
