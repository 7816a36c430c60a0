#include "projections/queue/observed_estimator.hpp"

#include "engine/domain/calendar.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

namespace salonq::projections {
namespace {

using namespace salonq::engine;
using std::chrono::milliseconds;

constexpr std::int64_t no_close = schedule_cache::no_close;

// A ticket in service for longer than expected still has something left: this share of its expected duration.
constexpr std::int64_t overdue_share = ratio_one / 16;

// The schedule is run `paths` times with durations drawn around their means; each estimate is the median of the runs.
// A prime, so that x -> (a x + b) mod paths is a permutation for any a in 1..paths-1 (a ticket's draws, below).
constexpr std::size_t paths = 23;
// The runs are kept in lanes of this many (a multiple of the vector width) so the loops over them vectorize; the
// lanes past `paths` are ignored.
constexpr std::size_t lanes = 24;

// A duration's factor on its mean (of ratio_one) in each run: the quantiles (k + 0.5) / paths, ascending, of a
// lognormal with mean 1 and a coefficient of variation of 0.4: exp(s z_k - s^2 / 2) with s^2 = ln(1 + 0.4^2) and
// z_k the standard normal quantile (generated once with Python's statistics.NormalDist; wait_prediction_test
// checks the median, 9285). Salon service times
// spread by 20-50 % of their mean: a learned spread per service would need a field in the stored view.
constexpr std::array<std::int64_t, paths> duration_factor{4265,  5185,  5773,  6250,  6673,  7065,  7440,  7805,
                                                          8167,  8531,  8902,  9285,  9684,  10105, 10556, 11046,
                                                          11588, 12202, 12918, 13792, 14933, 16627, 20211};

// Times in a run are milliseconds from now, in 32 bits so that four fit a vector; capped a day short of the
// maximum, so adding a day never overflows (a line 24 days long is not a line).
using run_ms = std::int32_t;
constexpr run_ms run_cap = INT32_MAX - 24 * 3'600'000;
constexpr std::int64_t max_add_ms = std::int64_t{24} * 3'600'000;

std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31U);
}

// Which stratum a ticket draws in each run: run p draws (a p + b) mod paths, a permutation drawn from the ticket's id,
// so every ticket's draws cover all strata once (a Latin hypercube) and the same ticket draws the same in every
// estimate (common random numbers: estimates move with events, not with the dice).
struct strata {
    std::uint64_t a = 1;
    std::uint64_t b = 0;
    [[nodiscard]] std::size_t at(std::size_t p) const { return (a * p + b) % paths; }
    // at(p + 1) from at(p), without a division.
    [[nodiscard]] std::size_t next(std::size_t k) const { return k + a >= paths ? k + a - paths : k + a; }
};

enum class draw : std::uint8_t { in_service = 1, duration = 2, leave = 3 };

strata strata_of(ticket_id id, draw what) {
    auto const h = mix(id.value() * 4 + static_cast<std::uint64_t>(what));
    return {1 + (h % (paths - 1)), (h >> 32U) % paths};
}

std::int64_t expected_ms(queue_view const& v, ticket_card const& t, std::int64_t speed) {
    return base_duration_ms(v.observed, v.services, t.services, t.duration_min) * speed / ratio_one;
}

using run_times = schedule_cache::lane_times;
static_assert(schedule_cache::lanes == lanes);

// When an on-duty staff member is free, in each run: at the end of their current ticket, drawn among the durations
// longer than what has already elapsed (an overdue one: a share of its mean left), plus the changeover; or at the
// end of the changeover of a ticket they have just completed; or now.
run_times free_at(queue_view const& v, instant now, staff_member const& m, std::int64_t speed) {
    auto const changeover = v.observed.changeover_ms;
    run_times at{};
    auto const* t = m.serving ? v.find_serving(*m.serving) : nullptr;
    if (t == nullptr) {
        auto const* pace = v.observed.find_staff(m.id);
        auto const from = pace != nullptr && pace->freed_at
                              ? std::chrono::duration_cast<milliseconds>(*pace->freed_at - now).count() + changeover
                              : 0;
        at.fill(static_cast<run_ms>(std::clamp<std::int64_t>(from, 0, max_add_ms)));
        return at;
    }
    auto const mean = std::min(expected_ms(v, *t, speed), max_add_ms);
    auto const elapsed = std::chrono::duration_cast<milliseconds>(now - t->started_at).count();
    std::size_t longer = 0; // the first stratum longer than the elapsed time
    while (longer < paths && mean * duration_factor[longer] / ratio_one <= elapsed) {
        ++longer;
    }
    auto const s = strata_of(t->id, draw::in_service);
    for (std::size_t p = 0; p < paths; ++p) {
        auto const left = longer == paths
                              ? mean * overdue_share / ratio_one
                              : mean * duration_factor[longer + s.at(p) % (paths - longer)] / ratio_one - elapsed;
        at[p] = static_cast<run_ms>(std::clamp<std::int64_t>(left + changeover, 0, max_add_ms));
    }
    return at;
}

// Servers not on duty now, and the end of the day of those who are, from their usual shifts (view.observed.staff):
// per staff member of view.staff, when they are expected to clock in today (ms from now; never: not expected) and
// after when they take no ticket (never: no end foreseen). Only with a shift seen on two days; a staff member is
// expected in if their usual clock-in is later today, they have not come in today yet and today's weekday is not
// their day off (staff_pace::absent_in_row), and to leave at their usual
// clock-out only if someone else is expected to stay at least `stays_on` longer (whoever closes the salon serves
// the line to the end: a closing time is not an estimate).
constexpr run_ms never = run_cap;
constexpr std::int32_t shifts_seen = 2;
constexpr std::int64_t stays_on_ms = std::int64_t{30} * 60'000;

struct shift_plan {
    std::vector<run_ms> arrives;
    std::vector<run_ms> leaves;
};

shift_plan usual_shifts(queue_view const& v, instant now) {
    shift_plan plan{std::vector<run_ms>(v.staff.size(), never), std::vector<run_ms>(v.staff.size(), never)};
    auto const known = [&](staff_pace const* p) { return p != nullptr && p->clock_outs >= shifts_seen; };
    if (std::none_of(v.observed.staff.begin(), v.observed.staff.end(),
                     [&](staff_pace const& p) { return known(&p); })) {
        return plan;
    }
    // Times of day in minutes since the business day's start (04:00), so that a shift past midnight does not wrap.
    auto const local = business_clock_of(v.timezone, now);
    auto const from_now = [&](std::int32_t minute) { return std::int64_t{minute - local.minute} * 60'000; };
    constexpr std::int64_t unknown = -2; // serving today, with no usual end known
    std::int64_t latest_known = -1;      // the latest known end of anyone serving today
    std::vector<std::int64_t> ends(v.staff.size(), -1);
    for (std::size_t i = 0; i < v.staff.size(); ++i) {
        auto const& m = v.staff[i];
        auto const* p = v.observed.find_staff(m.id);
        if (!m.on_duty) {
            if (!known(p) || p->clock_ins < shifts_seen || p->last_in_day == local.day ||
                p->absent_in_row.at(engine::weekday_of(local.day)) >= day_off_after) {
                continue;
            }
            auto const in = business_minute(p->clock_in_min);
            if (in <= local.minute || business_minute(p->clock_out_min) <= in) {
                continue;
            }
            plan.arrives[i] = static_cast<run_ms>(std::min(from_now(in), max_add_ms));
        }
        if (!known(p)) {
            ends[i] = unknown;
            continue;
        }
        // An end already past (overtime) is no end: they are here.
        auto const out = business_minute(p->clock_out_min);
        ends[i] = out > local.minute ? from_now(out) : max_add_ms;
        latest_known = std::max(latest_known, ends[i]);
    }
    // Someone whose end is unknown is expected to stay as long as the last known one: not forever, which would send
    // everyone with a known end home at it.
    std::int64_t last_leaves = 0;
    for (auto& end : ends) {
        end = end == unknown ? (latest_known >= 0 ? latest_known : max_add_ms) : end;
        last_leaves = std::max(last_leaves, end);
    }
    for (std::size_t i = 0; i < v.staff.size(); ++i) {
        if (ends[i] >= 0 && ends[i] + stays_on_ms <= last_leaves) {
            plan.leaves[i] = static_cast<run_ms>(ends[i]);
        }
    }
    return plan;
}

using run_quantiles = schedule_cache::start_quantiles; // ms from the schedule's origin

// The likely range of a wait: the 3rd and the 21st of the 23 runs' starts, their 11th and 89th percentiles (a 78 %
// interval if the runs' spread were the only uncertainty). On the benchmark it holds 71-84 % of the actual waits
// (median 79 %) at every salon size, flat and weekly (bench/RESULTS.md): about four walk-ins in five are called
// within it.
constexpr std::size_t low_rank = 2;
constexpr std::size_t high_rank = paths - 1 - low_rank;

// The median of the runs and the likely range around it.
run_quantiles quantiles(run_times const& runs) {
    std::array<run_ms, paths> v{};
    std::copy_n(runs.begin(), paths, v.begin());
    auto* mid = v.begin() + paths / 2;
    std::nth_element(v.begin(), mid, v.end());
    auto* low = v.begin() + low_rank;
    std::nth_element(v.begin(), low, mid);
    auto* high = v.begin() + high_rank;
    std::nth_element(mid + 1, high, v.end());
    return {*low, *mid, *high};
}

// The median of the runs and the likely range around it, given a start before `closes` (ms from the origin), the
// salon's usual last start: among the runs that start before it, with their share as the chance of a start today;
// none does: the close itself, with no chance. A walk-in who is served at all is served before closing, so that is
// the start to tell them, with the chance beside it (docs/wait-prediction.md, "Maybe not today").
run_quantiles quantiles(run_times const& runs, std::int64_t closes) {
    std::array<run_ms, paths> today{};
    std::size_t k = 0;
    for (std::size_t p = 0; p < paths; ++p) {
        if (runs[p] < closes) {
            today[k++] = runs[p];
        }
    }
    if (k == paths) {
        return quantiles(runs);
    }
    auto const pct = static_cast<std::int32_t>((k * 100 + paths / 2) / paths);
    if (k == 0) {
        return {closes, closes, closes, pct};
    }
    std::sort(today.begin(), today.begin() + static_cast<std::ptrdiff_t>(k));
    // The same ranks among k runs: the low one rounded down, the high one up (so that it holds the median).
    auto const high = ((k - 1) * high_rank + paths - 2) / (paths - 1);
    return {today[(k - 1) * low_rank / (paths - 1)], today[k / 2], today[high], pct};
}

// When the salon usually stops starting services today (the end of the minute of today's usual last start:
// observed_durations::close_on), ms from `now`; none before it has been seen on close_days_seen days, or once it has
// passed (a salon serving later than usual is still serving: no close is foreseen then; a chain's later walk-in past
// it likewise, in placer::close).
std::int64_t closing(queue_view const& v, instant now) {
    auto const today = business_clock_of(v.timezone, now);
    auto const* usual = v.observed.close_on(today.day);
    if (usual == nullptr) {
        return no_close;
    }
    auto const minute = today.minute;
    auto const into_minute = std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count() % 60'000;
    auto const left =
        std::int64_t{business_minute(usual->last_start_min) + 1 - minute} * 60'000 - (into_minute + 60'000) % 60'000;
    return left > 0 ? left : no_close;
}

// The schedule as of `now` before the line: the servers (on duty, then expected later today) and when each is free
// in each run, ms from now. No server when nobody is on duty: no estimate then.
void begin_schedule(queue_view const& v, instant now, schedule_cache& s) {
    s.placed = 0;
    s.speeds.clear();
    s.free.clear();
    s.leaves.clear();
    if (std::none_of(v.staff.begin(), v.staff.end(), [](staff_member const& m) { return m.on_duty; })) {
        return;
    }
    auto const shifts = usual_shifts(v, now);
    s.closes = closing(v, now);
    s.ahead.reset();
    for (std::size_t i = 0; i < v.staff.size(); ++i) {
        auto const& m = v.staff[i];
        if (m.on_duty) {
            s.speeds.push_back(v.observed.speed_of(m.id));
            s.free.push_back(free_at(v, now, m, s.speeds.back()));
        } else if (shifts.arrives[i] != never) {
            s.speeds.push_back(v.observed.speed_of(m.id));
            run_times at{};
            at.fill(
                static_cast<run_ms>(std::min<std::int64_t>(shifts.arrives[i] + v.observed.changeover_ms, max_add_ms)));
            s.free.push_back(at);
        } else {
            continue;
        }
        s.leaves.push_back(shifts.leaves[i]);
    }
}

// Places tickets in a schedule, one after the other in line order: in each run a ticket goes to whoever is free first
// and keeps them busy for its drawn duration. Times are in ms from the schedule's origin; each ticket's estimate is
// as of its own "now": the origin for a line placed at once, its join for a chain's later walk-in.
class placer {
public:
    placer(queue_view const& v, schedule_cache& s, instant origin)
        : v_(v), s_(s), origin_(origin), mean_(s.speeds.size()),
          pickup_(v.observed.pickups >= min_pickups ? v.observed.pickup_ms : 0) {}

    // Places `t`; its predicted start as of `now`, or none without a server.
    std::optional<predicted_start> place(ticket_card const& t, instant now) {
        ++s_.placed;
        if (s_.free.empty()) {
            return std::nullopt;
        }
        earliest();
        // No ticket starts sooner than the salon's pick-up after its join (once it has been seen min_pickups times).
        picked_up(pickup_ + ms_between(origin_, t.joined_at));
        auto const from = ms_between(origin_, now);
        auto const q = after_ahead(quantiles(first_, close(from)));
        // It keeps them busy for a drawn duration plus the changeover, in the runs where it is still there when
        // called: as many as its chance to stay (the salon's leave rate by age in the queue) says, over its wait in all
        // of them (not only those before the close: the runs are of the whole line).
        auto const wait = (q.today_pct < 100 ? quantiles(first_).median : q.median) - from;
        auto const stays = stay_chance(v_.observed.leaving, now - t.joined_at, milliseconds{wait});
        auto const staying = static_cast<std::size_t>((stays * std::int64_t{paths} + ratio_one / 2) / ratio_one);
        auto const base = std::min(base_duration_ms(v_.observed, v_.services, t.services, t.duration_min), max_add_ms);
        for (std::size_t j = 0; j < s_.speeds.size(); ++j) {
            mean_[j] = base * s_.speeds[j] / ratio_one;
        }
        auto const changeover = v_.observed.changeover_ms;
        auto const duration = strata_of(t.id, draw::duration);
        auto const leave = strata_of(t.id, draw::leave);
        for (std::size_t p = 0, d = duration.b, l = leave.b; p < paths; ++p, d = duration.next(d), l = leave.next(l)) {
            auto const keeps = mean_[who_[p]] * duration_factor[d] / ratio_one + changeover;
            busy_[p] = l < staying ? static_cast<run_ms>(std::min(keeps, max_add_ms)) : 0;
        }
        for (std::uint32_t j = 0; j < s_.free.size(); ++j) {
            for (std::size_t p = 0; p < lanes; ++p) {
                auto const later = std::min(first_[p] + busy_[p], run_cap);
                s_.free[j][p] = who_[p] == j ? later : s_.free[j][p];
            }
        }
        s_.ahead = q;
        return predicted(q, now, from);
    }

    // When a newcomer at `now` would start: when the first staff member is free after the whole line.
    std::optional<predicted_start> newcomer(instant now) {
        if (s_.free.empty()) {
            return std::nullopt;
        }
        earliest();
        auto const from = ms_between(origin_, now);
        picked_up(pickup_ + from);
        return predicted(after_ahead(quantiles(first_, close(from))), now, from);
    }

private:
    // The close as of `from` (ms from the origin): none once it has passed (a chain's walk-in after it).
    [[nodiscard]] std::int64_t close(std::int64_t from) const { return from < s_.closes ? s_.closes : no_close; }

    // Quantiles no sooner than those of the ticket placed before (schedule_cache::ahead). Each run keeps the line's
    // order, so the quantiles of all the runs do too; those of the runs that start before closing need not (a later
    // ticket starts before it in fewer runs, the quicker ones).
    [[nodiscard]] run_quantiles after_ahead(run_quantiles q) const {
        if (s_.ahead) {
            q.low = std::max(q.low, s_.ahead->low);
            q.median = std::max(q.median, s_.ahead->median);
            q.high = std::max(q.high, s_.ahead->high);
        }
        return q;
    }

    static std::int64_t ms_between(instant from, instant to) {
        return std::chrono::duration_cast<milliseconds>(to - from).count();
    }

    static predicted_start predicted(run_quantiles const& q, instant now, std::int64_t from) {
        auto const wait = std::max<std::int64_t>(0, q.median - from);
        return predicted_start{wait, now + milliseconds{wait}, std::max<std::int64_t>(0, q.low - from),
                               std::max<std::int64_t>(0, q.high - from), q.today_pct};
    }

    // Per run, who is free first and when. A server who would be free only after they usually leave takes no more
    // tickets.
    void earliest() {
        auto const& free = s_.free;
        auto const& leaves = s_.leaves;
        for (std::size_t p = 0; p < lanes; ++p) {
            first_[p] = free[0][p] >= leaves[0] ? never : free[0][p];
        }
        who_.fill(0);
        for (std::uint32_t j = 1; j < free.size(); ++j) {
            for (std::size_t p = 0; p < lanes; ++p) {
                auto const at = free[j][p] >= leaves[j] ? never : free[j][p];
                auto const sooner = at < first_[p];
                first_[p] = sooner ? at : first_[p];
                who_[p] = sooner ? j : who_[p];
            }
        }
    }

    // No start sooner than `lower` (ms from the origin) in any run.
    void picked_up(std::int64_t lower_ms) {
        auto const lower = static_cast<run_ms>(std::clamp<std::int64_t>(lower_ms, 0, max_add_ms));
        for (std::size_t p = 0; p < lanes; ++p) {
            first_[p] = std::max(first_[p], lower);
        }
    }

    queue_view const& v_;
    schedule_cache& s_;
    instant origin_;
    std::vector<std::int64_t> mean_; // the ticket's expected duration with each server
    std::int64_t pickup_;
    run_times first_{};                      // per run: when the first staff member is free
    std::array<std::uint32_t, lanes> who_{}; // per run: who that is
    run_times busy_{};                       // per run: how long the ticket keeps them
};

// The whole line placed as of the view's now, every estimate filled in; the schedule left in view.schedule.
void place_line(queue_view& view) {
    auto const now = view.updated_at;
    auto& s = view.schedule;
    begin_schedule(view, now, s);
    placer line{view, s, now};
    for (auto& t : view.waiting) {
        t.expected = line.place(t, now);
    }
    view.join_now = line.newcomer(now);
}

// The chain's schedule before its latest walk-in, worked out again from the view (a view read from the store, or a
// stats fold that took the views' estimates): the line at the chain's first walk-in placed as of then, and each
// later walk-in as of its join, as they were when they joined.
void rebuild_chain(queue_view& view) {
    auto const& b = view.basis;
    auto& s = view.schedule;
    begin_schedule(view, b.full_at, s);
    placer line{view, s, b.full_at};
    for (std::size_t i = 0; i + 1 < view.waiting.size(); ++i) {
        auto const& t = view.waiting[i];
        (void)line.place(t, i < b.line ? b.full_at : t.joined_at);
    }
    s.first = b.first;
}

// An estimate made `passed` ms ago, as of `now`: the same start, that much sooner; a start passed meanwhile is now.
void count_down(std::optional<predicted_start>& e, std::int64_t passed, instant now) {
    if (e) {
        e->wait_ms = std::max<std::int64_t>(0, e->wait_ms - passed);
        e->start = now + milliseconds{e->wait_ms};
        e->low_ms = std::max<std::int64_t>(0, e->low_ms - passed);
        e->high_ms = std::max<std::int64_t>(0, e->high_ms - passed);
    }
}

} // namespace

void observed_estimator::estimate(queue_view& view) const {
    place_line(view);
    view.schedule.first = seq_t{0}; // not a chain's: the next walk-in begins one
}

void observed_estimator::estimate_walk_in(queue_view& view, std::optional<instant> chained) const {
    if (!chained) {
        place_line(view); // the chain's first walk-in
        view.schedule.first = view.basis.first;
        return;
    }
    auto& s = view.schedule;
    if (s.first != view.basis.first || s.placed + 1 != view.waiting.size()) {
        rebuild_chain(view);
    }
    auto const now = view.updated_at;
    auto const passed = std::chrono::duration_cast<milliseconds>(now - *chained).count();
    for (std::size_t i = 0; i + 1 < view.waiting.size(); ++i) {
        count_down(view.waiting[i].expected, passed, now);
    }
    placer line{view, s, view.basis.full_at};
    view.waiting.back().expected = line.place(view.waiting.back(), now);
    view.join_now = line.newcomer(now);
}

} // namespace salonq::projections
