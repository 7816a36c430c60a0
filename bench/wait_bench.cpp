// wait_bench: how well the queue view's wait estimate predicts the wait, next to the established estimators on the
// same tickets, and what it costs per apply.
//
//   accuracy (default): simulated days (engine/sim with varied service times: lognormal per service, per-stylist
//     speed, a daily pace; hourly arrival peaks, shifts, skips, cancellations, no-shows) for salons of each size;
//     every ticket's estimate at join time against its actual wait (join to first call: its start, or its skip if
//     absent when called; --until-start: join to start), for the predictor
//     (observed_estimator), the interim catalogue list schedule, and the estimators of the literature: the old
//     system's sum of durations ahead, QL (queue length x mean service time / staff on duty), LES (the wait of the
//     last customer to enter service) and HOL (the head of the line's wait so far). Tickets never called (cancelled,
//     no-shows) and tickets that joined with nobody on duty are left out (counted).
//   --cost: apply + estimate for a salon with --waiting tickets in line and 8 staff, per event.

#include "bench/wait_scoring.hpp"
#include "engine/sim/day_simulator.hpp"
#include "engine/sim/memory_executor.hpp"
#include "projections/queue/observed_estimator.hpp"
#include "projections/queue/view_codec.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <map>

namespace {

using namespace salonq::engine;
using namespace salonq::projections;
using salonq::bench::scorer;

struct accuracy_options {
    std::vector<std::int32_t> sizes{1, 3, 8};
    std::int32_t salons = 20;
    std::int32_t days = 7;
    std::uint64_t seed = 42;
    double utilisation = 0.9;
    bool weekly = false;                   // sim_options::weekly
    std::int32_t saturday_close_hour = 19; // sim_options::saturday_close_hour
    salonq::bench::actual_wait until = salonq::bench::actual_wait::until_called;
};

// The simulator's load for a salon of `staff` stylists at the given utilisation: its shift hours (the simulator's
// shift table: 10, 10, 8, 6, 6 hours by turn) over the ~60 walk-ins a day of load 1.0 at ~35 minutes each.
double load_for(std::int32_t staff, double utilisation) {
    constexpr std::array<double, 5> shift_hours{10, 10, 8, 6, 6};
    double hours = 0;
    for (std::int32_t i = 0; i < staff; ++i) {
        hours += shift_hours[static_cast<std::size_t>(i) % shift_hours.size()];
    }
    return utilisation * hours * 60.0 / (60.0 * 35.0);
}

std::map<std::string, std::vector<event>> simulate(accuracy_options const& o, std::int32_t staff) {
    sim::sim_options options;
    options.salons = o.salons;
    options.days = o.days;
    options.seed = o.seed + static_cast<std::uint64_t>(staff);
    options.load = load_for(staff, o.utilisation);
    options.staff_counts = {staff};
    options.varied_service_times = true;
    options.weekly = o.weekly;
    options.saturday_close_hour = o.saturday_close_hour;
    options.salon_prefix = fmt::format("size{}", staff);
    sim::memory_executor executor;
    std::map<std::string, std::vector<event>> events;
    sim::day_simulator{options}.run([&](std::vector<command> const& batch) {
        auto outcomes = executor(batch);
        for (auto const& entries : outcomes) {
            for (auto const& entry : entries) {
                if (auto const* e = std::get_if<event>(&entry)) {
                    events[e->salon.value()].push_back(*e);
                }
            }
        }
        return outcomes;
    });
    return events;
}

int run_accuracy(accuracy_options const& o) {
    fmt::print(
        "wait_bench accuracy: {} salons x {} days per size, seed {}, utilisation {:.2f}, actual wait until {}{}{}\n\n",
        o.salons, o.days, o.seed, o.utilisation,
        o.until == salonq::bench::actual_wait::until_called ? "called" : "start", o.weekly ? ", weekly" : "",
        o.saturday_close_hour == 19 ? "" : fmt::format(", Saturdays close at {}:00", o.saturday_close_hour));
    fmt::print("| staff | tickets (left out) | measure | {} |\n", fmt::join(salonq::bench::estimator_names, " | "));
    fmt::print("|---|---|---|");
    for (std::size_t i = 0; i < salonq::bench::estimator_names.size(); ++i) {
        fmt::print("---|");
    }
    fmt::print("\n");
    for (auto const size : o.sizes) {
        scorer score{o.until};
        for (auto const& [salon, events] : simulate(o, size)) {
            score.salon(events);
        }
        score.print_rows(size);
    }
    return 0;
}

// A ticket_issued / ticket_cancelled pair that keeps the line at its length.
event make_event(salon_id const& salon, std::uint64_t seq, instant at, event_body body) {
    event e;
    e.salon = salon;
    e.seq = seq_t{seq};
    e.at = at;
    e.body = std::move(body);
    return e;
}

int run_cost(std::int32_t waiting, std::int32_t rounds) {
    queue_view v;
    v.salon = salon_id{"cost"};
    v.timezone = "Europe/London";
    v.services = {{"HC", "Haircut", 2500, 30}, {"BT", "Beard trim", 1200, 15}, {"CL", "Colour", 6000, 60}};
    for (int i = 1; i <= 8; ++i) {
        v.staff.push_back(staff_member{staff_id{fmt::format("s{}", i)}, "S", role::staff, true, std::nullopt});
        v.observed.services.push_back(service_pace{"HC", std::int64_t{31} * 60'000, 40});
        // Usual shifts learned (09:00-19:00, the last from 15:00), so the estimate reads the local time of day.
        staff_pace pace;
        pace.staff = v.staff.back().id;
        pace.count = 40;
        pace.clock_in_min = 9 * 60;
        pace.clock_ins = 5;
        pace.clock_out_min = (i == 8 ? 15 : 19) * 60;
        pace.clock_outs = 5;
        pace.last_in_day = 20759;
        v.observed.staff.push_back(pace);
    }
    auto const t0 = instant{std::chrono::hours{24 * 20759 + 10}};
    std::uint64_t seq = 0;
    std::uint64_t next = 1;
    auto issue = [&] {
        auto const id = next++;
        evt::ticket_issued r{
            ticket_id{id}, token{static_cast<std::uint16_t>(id % token::pool_size)}, {}, {"HC", "BT"}, 3700, 45, id, 0};
        return make_event(v.salon, ++seq, t0 + std::chrono::seconds{seq}, r);
    };
    for (std::int32_t i = 0; i < waiting; ++i) {
        apply(v, issue());
    }
    observed_estimator const predictor;
    list_schedule_estimator const interim;
    auto time_per_event = [&](wait_estimator const& estimator) {
        auto const start = std::chrono::steady_clock::now();
        for (std::int32_t r = 0; r < rounds; ++r) {
            auto const oldest = v.waiting.front().id;
            apply_and_record_join(v, issue(), estimator);
            estimator.estimate(v);
            apply(v, make_event(v.salon, ++seq, t0 + std::chrono::seconds{seq},
                                evt::ticket_cancelled{oldest, "cost", ticket_status::waiting}));
            estimator.estimate(v);
        }
        return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
               (2.0 * rounds);
    };
    auto const interim_us = time_per_event(interim);
    auto const predictor_us = time_per_event(predictor);
    // Walk-ins in a row (docs/wait-prediction.md): chains of 24, a second apart, each from the same line (the view is
    // put back after each chain, untimed); the first of a chain places the whole line, the rest only themselves.
    constexpr int chain = 24;
    auto const before_chains = v;
    std::chrono::duration<double, std::micro> chained{};
    for (std::int32_t r = 0; r < rounds; r += chain) {
        v = before_chains;
        auto const start = std::chrono::steady_clock::now();
        for (int i = 0; i < chain; ++i) {
            apply_and_record_join(v, issue(), predictor);
        }
        chained += std::chrono::steady_clock::now() - start;
    }
    auto const chain_us = chained.count() / (std::max(1, rounds / chain) * chain);
    v = before_chains;
    // What the runtime does before each change of a salon: a copy of its view into the storage of an older one.
    auto spare = v;
    auto const copy_start = std::chrono::steady_clock::now();
    for (std::int32_t r = 0; r < rounds; ++r) {
        spare = v;
    }
    auto const copy_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - copy_start).count() / rounds;
    auto const start = std::chrono::steady_clock::now();
    std::size_t bytes = 0;
    for (std::int32_t r = 0; r < rounds; ++r) {
        bytes += encode_view(v).size();
    }
    auto const encode_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / rounds;
    auto const served_start = std::chrono::steady_clock::now();
    std::size_t served_bytes = 0;
    for (std::int32_t r = 0; r < rounds; ++r) {
        served_bytes += encode_view(v, view_form::served).size();
    }
    auto const served_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - served_start).count() / rounds;
    fmt::print("wait_bench cost: {} waiting, 8 staff on duty, {} rounds\n", v.waiting.size(), rounds);
    fmt::print("  apply + estimate per event, interim list schedule: {:.1f} us\n", interim_us);
    fmt::print("  apply + estimate per event, observed_estimator:    {:.1f} us\n", predictor_us);
    fmt::print("  walk-ins in a row (chains of {}), observed_estimator: {:.1f} us per walk-in\n", chain, chain_us);
    fmt::print("  a copy of the view into a spare (queue_views, before each change): {:.1f} us\n", copy_us);
    fmt::print("  for scale, encode_view of that view, stored form (checkpoints; {} recently ended): {:.1f} us ({} "
               "bytes)\n",
               v.recently_ended.size(), encode_us, bytes / static_cast<std::size_t>(rounds));
    fmt::print("  ... served form (GET .../queue, live frames): {:.1f} us ({} bytes)\n", served_us,
               served_bytes / static_cast<std::size_t>(rounds));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"wait_bench: wait estimate accuracy against the established estimators, and its cost"};
    accuracy_options o;
    bool cost = false;
    std::int32_t waiting = 200;
    std::int32_t rounds = 20'000;
    app.add_option("--sizes", o.sizes, "stylists per salon, one group each");
    app.add_option("--salons", o.salons, "salons per size");
    app.add_option("--days", o.days, "simulated days");
    app.add_option("--seed", o.seed, "simulation seed");
    app.add_option("--utilisation", o.utilisation, "offered load over shift capacity");
    app.add_flag("--weekly", o.weekly, "a week's rhythm: busy and quiet weekdays, Sundays closed, days off");
    app.add_option("--saturday-close", o.saturday_close_hour, "the local hour salons close on Saturdays")
        ->check(CLI::Range(12, 19));
    bool until_start = false;
    app.add_flag("--until-start", until_start,
                 "actual wait until the start (a skipped ticket's time away included; never back: left out) instead "
                 "of until first called");
    app.add_flag("--cost", cost, "measure the cost per apply instead");
    app.add_option("--waiting", waiting, "line length for --cost");
    app.add_option("--rounds", rounds, "event pairs for --cost");
    CLI11_PARSE(app, argc, argv);
    if (until_start) {
        o.until = salonq::bench::actual_wait::until_start;
    }
    return cost ? run_cost(waiting, rounds) : run_accuracy(o);
}
