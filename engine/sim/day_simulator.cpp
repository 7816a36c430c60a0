#include "engine/sim/day_simulator.hpp"

#include "engine/domain/decide.hpp"
#include "engine/sim/customer_model.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <set>

namespace salonq::engine::sim {
namespace {

using namespace std::chrono_literals;

constexpr std::array<char const*, 8> zones{"Europe/London", "America/New_York",   "Asia/Kolkata",
                                           "Europe/Berlin", "America/Chicago",    "Australia/Sydney",
                                           "Asia/Tokyo",    "America/Los_Angeles"};
constexpr int open_hour = 9;
constexpr int close_hour = 19;

struct shift {
    int from_hour;
    int to_hour;
};
constexpr std::array<shift, 5> shifts{{{9, 19}, {9, 19}, {11, 19}, {13, 19}, {9, 15}}};

struct salon_model {
    salon_id id;
    std::string zone;
    salon_state state;
    std::int32_t staff_count = 2;
    instant open{};
    instant close{};
    bool closed = false;
    std::map<std::uint64_t, instant> service_end;
    std::map<std::uint64_t, instant> patience;
    std::set<std::uint64_t> priority_wanted;
    std::map<std::uint64_t, instant> comeback;
    std::set<std::uint64_t> absent;
    std::uint64_t next_command = 1;
    // The true service-time model (varied_service_times): per service code, a lognormal's median and sigma;
    // per stylist (index 0 = s1), a speed factor; the day's pace.
    std::map<std::string, std::pair<double, double>> service_time;
    std::vector<double> speed;
    double pace = 1.0;
    unsigned weekday = 1; // today's, as date's c_encoding (0 = Sunday)
};

instant local_time(std::string const& zone, local_day day, int hour) {
    auto const local = date::local_days{date::days{day}} + std::chrono::hours{hour};
    auto const zoned = date::zoned_time<std::chrono::milliseconds>{zone, local, date::choose::earliest};
    return zoned.get_sys_time();
}

} // namespace

struct day_simulator::impl {
    sim_options options;
    std::mt19937_64 rng;
    std::vector<salon_model> salons;
    sim_summary summary;
    std::uint64_t customers = 0;

    explicit impl(sim_options o) : options(std::move(o)), rng(options.seed) {}

    double uniform() { return std::uniform_real_distribution<double>{0.0, 1.0}(rng); }

    command make(salon_model& s, instant at, command_body body, actor by = {"frontdesk", actor_kind::terminal}) {
        command c;
        c.id = command_id{fmt::format("{}-c{}", s.id.value(), s.next_command++)};
        c.salon = s.id;
        c.by = std::move(by);
        c.received_at = at;
        c.body = std::move(body);
        return c;
    }

    actor manager() const { return actor{"m1", actor_kind::staff}; }

    void setup(std::vector<command>& out, salon_model& s, instant at) {
        out.push_back(make(s, at, cmd::register_salon{fmt::format("Salon {}", s.id.value()), s.zone},
                           actor{"onboarding", actor_kind::system}));
        cmd::configure_salon config;
        config.priority_daily_limit = 5;
        config.max_waiting = 60;
        config.services = standard_catalogue();
        if (options.varied_service_times) {
            draw_service_times(s, *config.services);
        }
        out.push_back(make(s, at, std::move(config), actor{"onboarding", actor_kind::system}));
        out.push_back(make(s, at, cmd::add_staff{staff_id{"o1"}, "Olivia Owner", role::owner},
                           actor{"onboarding", actor_kind::system}));
        out.push_back(make(s, at, cmd::add_staff{staff_id{"m1"}, "Marco Manager", role::manager},
                           actor{"onboarding", actor_kind::system}));
        for (std::int32_t i = 1; i <= s.staff_count; ++i) {
            out.push_back(
                make(s, at, cmd::add_staff{staff_id{fmt::format("s{}", i)}, fmt::format("Stylist {}", i), role::staff},
                     actor{"onboarding", actor_kind::system}));
        }
    }

    void step(std::vector<command>& out, salon_model& s, instant now) {
        if (s.closed || now < s.open) {
            return;
        }
        auto const& st = s.state;
        // With varied service times or a week's rhythm, the day is closed once the last service is over (a long
        // colour can run past the hour after closing; it is completed, not left open overnight, or over a closed
        // Sunday).
        if (now >= s.close + 60min && !(finishes_services() && anyone_served(st))) {
            out.push_back(make(s, now, cmd::close_day{}, manager()));
            s.closed = true;
            return;
        }
        auto const hour =
            static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(now - s.open).count()) + open_hour;
        std::set<std::string> busy_now;

        // Services that are due to finish.
        for (auto const& t : st.tickets) {
            if (t.status == ticket_status::serving) {
                auto it = s.service_end.find(t.id.value());
                if (it == s.service_end.end() || it->second <= now) {
                    out.push_back(
                        make(s, now, cmd::complete_service{t.id, std::nullopt}, {t.staff->value(), actor_kind::staff}));
                    busy_now.insert(t.staff->value());
                }
            }
        }
        // Shifts.
        for (std::int32_t i = 1; i <= s.staff_count; ++i) {
            auto const& sh = shifts[static_cast<std::size_t>(i - 1) % shifts.size()];
            auto const id = staff_id{fmt::format("s{}", i)};
            auto const* member = st.find_staff(id);
            if (member == nullptr) {
                continue;
            }
            bool const day_off = options.weekly && sim::day_off(i) == s.weekday;
            bool const should_work = hour >= sh.from_hour && hour < sh.to_hour && now < s.close && !day_off;
            if (should_work && !member->on_duty) {
                out.push_back(make(s, now, cmd::clock_in{id}, {id.value(), actor_kind::staff}));
                busy_now.insert(id.value());
            } else if (!should_work && member->on_duty && !member->serving && !busy_now.contains(id.value())) {
                out.push_back(make(s, now, cmd::clock_out{id}, {id.value(), actor_kind::staff}));
                busy_now.insert(id.value());
            }
        }
        // Arrivals.
        if (now < s.close) {
            auto const slot = static_cast<std::size_t>(std::clamp(hour - open_hour, 0, 9));
            auto const weekday = options.weekly ? weekday_load.at(s.weekday) : 1.0;
            std::poisson_distribution<int> arrivals{hourly_rate[slot] * options.load * weekday / 60.0};
            for (int n = arrivals(rng); n > 0; --n) {
                walk_in(out, s, now);
            }
        }
        // Impatient customers leave; absent ones come back.
        for (auto const& t : st.tickets) {
            auto const id = t.id.value();
            if (t.status == ticket_status::waiting) {
                if (auto it = s.patience.find(id); it != s.patience.end() && it->second <= now) {
                    out.push_back(make(s, now, cmd::cancel_ticket{t.id, "left without service"}));
                    s.patience.erase(it);
                }
            } else if (t.status == ticket_status::skipped) {
                if (auto it = s.comeback.find(id); it != s.comeback.end() && it->second <= now) {
                    out.push_back(make(s, now, cmd::undo_skip{t.id}, manager()));
                    s.comeback.erase(it);
                }
            }
        }
        // Free staff call the next customer.
        auto line = st.waiting_line();
        std::size_t next = 0;
        std::set<std::uint64_t> called;
        for (auto const& member : st.staff) {
            if (!member.on_duty || member.serving || busy_now.contains(member.id.value()) ||
                member.staff_role != role::staff) {
                continue;
            }
            while (next < line.size() && called.contains(line[next]->id.value())) {
                ++next;
            }
            if (next >= line.size()) {
                break;
            }
            // A senior or a child further back is served first, on the manager's order.
            auto want =
                std::find_if(line.begin() + static_cast<std::ptrdiff_t>(next) + 1, line.end(), [&](ticket const* t) {
                    return s.priority_wanted.contains(t->id.value()) && !called.contains(t->id.value());
                });
            if (want != line.end() && uniform() < 0.5) {
                auto const* t = *want;
                out.push_back(
                    make(s, now, cmd::start_priority{t->id, member.id, priority_reason(t->id.value())}, manager()));
                s.priority_wanted.erase(t->id.value());
                called.insert(t->id.value());
                plan_service(s, *t, member.id, now);
                continue;
            }
            auto const* t = line[next];
            called.insert(t->id.value());
            if (s.absent.erase(t->id.value()) > 0) {
                out.push_back(make(s, now, cmd::skip_ticket{t->id, "not present when called"}, manager()));
                if (auto const back = draw_comeback(rng)) {
                    s.comeback[t->id.value()] = now + *back;
                }
                continue;
            }
            out.push_back(
                make(s, now, cmd::start_service{member.id, std::nullopt}, {member.id.value(), actor_kind::staff}));
            plan_service(s, *t, member.id, now);
        }
    }

    [[nodiscard]] bool finishes_services() const { return options.varied_service_times || options.weekly; }

    static bool anyone_served(salon_state const& st) {
        return std::any_of(st.tickets.begin(), st.tickets.end(),
                           [](ticket const& t) { return t.status == ticket_status::serving; });
    }

    void plan_service(salon_model& s, ticket const& t, staff_id const& by, instant now) {
        auto const minutes = s.service_time.empty() ? normal_minutes(t) : varied_minutes(s, t, by);
        s.service_end[t.id.value()] = now + std::chrono::minutes{static_cast<int>(std::lround(minutes))};
    }

    double normal_minutes(ticket const& t) { return service_minutes(rng, t.duration_min); }

    double varied_minutes(salon_model& s, ticket const& t, staff_id const& by) {
        double minutes = 0;
        for (auto const& code : t.services) {
            auto const [median, sigma] = s.service_time.at(code);
            minutes += median * std::lognormal_distribution<double>{0.0, sigma}(rng);
        }
        auto const stylist = static_cast<std::size_t>(std::stoi(by.value().substr(1)) - 1);
        return std::max(3.0, minutes * s.speed.at(stylist) * s.pace);
    }

    // Draws a salon's true service-time model (varied_service_times).
    void draw_service_times(salon_model& s, std::vector<service_def> const& catalogue) {
        for (auto const& service : catalogue) {
            auto const bias = std::lognormal_distribution<double>{0.0, 0.2}(rng);
            auto const sigma = std::uniform_real_distribution<double>{0.2, 0.5}(rng);
            s.service_time[service.code] = {service.duration_min * bias, sigma};
        }
        for (std::int32_t i = 0; i < s.staff_count; ++i) {
            s.speed.push_back(std::lognormal_distribution<double>{0.0, 0.2}(rng));
        }
    }

    void walk_in(std::vector<command>& out, salon_model& s, instant now) {
        cmd::walk_in w;
        w.who = draw_customer(rng, ++customers);
        w.services = draw_services(rng);
        auto c = make(s, now, std::move(w));
        // The model learns the ticket id from the outcome; remember the traits by command id for now.
        auto const t = draw_traits(rng);
        pending_traits.emplace(c.id.value(), traits{t.absent, t.wants_priority,
                                                    t.patience ? std::optional{now + *t.patience} : std::nullopt});
        out.push_back(std::move(c));
    }

    struct traits {
        bool absent;
        bool priority;
        std::optional<instant> patience;
    };
    std::map<std::string, traits> pending_traits;

    void learn(command const& c, std::vector<log_entry> const& entries) {
        ++summary.commands;
        auto& s = salons[salon_index.at(c.salon.value())];
        auto traits_it = pending_traits.find(c.id.value());
        for (auto const& entry : entries) {
            if (auto const* r = std::get_if<rejected_command>(&entry)) {
                ++summary.rejected;
                ++summary.rejections[std::string{to_string(r->why.code)}];
                continue;
            }
            auto const& e = std::get<event>(entry);
            ++summary.events[std::string{type_name(e.body)}];
            if (e.seq.value() != s.state.seq.value() + 1) {
                continue; // already folded (a duplicate answer)
            }
            evolve(s.state, e);
            if (auto const* issued = std::get_if<evt::ticket_issued>(&e.body);
                issued && traits_it != pending_traits.end()) {
                auto const id = issued->ticket.value();
                if (traits_it->second.absent) {
                    s.absent.insert(id);
                }
                if (traits_it->second.priority) {
                    s.priority_wanted.insert(id);
                }
                if (auto const& patience = traits_it->second.patience) {
                    s.patience[id] = *patience;
                }
            } else if (auto const* started = std::get_if<evt::service_started>(&e.body)) {
                summary.total_wait_ms += static_cast<std::uint64_t>(std::max<std::int64_t>(0, started->waited_ms));
                ++summary.started;
                s.patience.erase(started->ticket.value());
                s.priority_wanted.erase(started->ticket.value());
            } else if (auto const* prio = std::get_if<evt::priority_started>(&e.body)) {
                summary.total_wait_ms += static_cast<std::uint64_t>(std::max<std::int64_t>(0, prio->waited_ms));
                ++summary.started;
                s.patience.erase(prio->ticket.value());
            } else if (auto const* done = std::get_if<evt::service_completed>(&e.body)) {
                s.service_end.erase(done->ticket.value());
            }
        }
        if (!entries.empty() && std::holds_alternative<event>(entries.front())) {
            ++summary.accepted;
        }
        if (traits_it != pending_traits.end()) {
            pending_traits.erase(traits_it);
        }
    }

    std::map<std::string, std::size_t> salon_index;

    void run_batch(std::vector<command>& batch, executor const& execute) {
        if (batch.empty()) {
            return;
        }
        auto results = execute(batch);
        for (std::size_t i = 0; i < batch.size() && i < results.size(); ++i) {
            learn(batch[i], results[i]);
        }
        batch.clear();
    }

    sim_summary run(executor const& execute) {
        for (std::int32_t i = 0; i < options.salons; ++i) {
            salon_model s;
            s.id = salon_id{fmt::format("{}-{:04}", options.salon_prefix, i + 1)};
            s.zone = zones[static_cast<std::size_t>(i) % zones.size()];
            auto const& counts = options.staff_counts;
            s.staff_count = counts.empty() ? 3 + i % 3 : counts[static_cast<std::size_t>(i) % counts.size()];
            s.state.id = s.id;
            salon_index.emplace(s.id.value(), salons.size());
            salons.push_back(std::move(s));
        }
        std::vector<command> batch;
        auto const start = instant{date::sys_days{date::days{options.first_day}}} - 24h;
        for (auto& s : salons) {
            setup(batch, s, start);
        }
        run_batch(batch, execute);

        for (std::int32_t d = 0; d < options.days; ++d) {
            auto const day = options.first_day + d;
            instant first = instant::max();
            instant last = instant::min();
            for (auto& s : salons) {
                s.weekday = date::weekday{date::sys_days{date::days{day}}}.c_encoding();
                s.open = local_time(s.zone, day, open_hour);
                s.close = local_time(s.zone, day, s.weekday == 6 ? options.saturday_close_hour : close_hour);
                s.closed = options.weekly && weekday_load.at(s.weekday) == 0.0; // nobody comes in
                if (options.varied_service_times) {
                    s.pace = std::lognormal_distribution<double>{0.0, 0.08}(rng);
                }
                first = std::min(first, s.open);
                last = std::max(last, s.close + (finishes_services() ? 241min : 61min));
            }
            for (auto now = first; now <= last; now += 1min) {
                for (auto& s : salons) {
                    step(batch, s, now);
                }
                run_batch(batch, execute);
            }
        }
        return summary;
    }
};

day_simulator::day_simulator(sim_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
day_simulator::~day_simulator() = default;
sim_summary day_simulator::run(executor const& execute) { return impl_->run(execute); }

} // namespace salonq::engine::sim
