#include "api/traffic/driver.hpp"

#include "api/traffic/demo_salons.hpp"
#include "api/traffic/queue_snapshot.hpp"
#include "api/traffic/salon_api.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/codec/shared.hpp"
#include "engine/sim/customer_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

namespace salonq::api::traffic {
namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace sim = engine::sim;

// A break: each free stylist takes one about every this many simulated minutes, for 10-20 minutes.
constexpr double minutes_between_breaks = 150;
// A skipped customer who does not come back is cancelled by the front desk after this long.
constexpr double give_up_minutes = 15;
// Customers who see this many waiting may walk away (balking): each one more halves the chance they join.
constexpr std::size_t balk_from = 6;
// A round's simulated time is capped, so a long outage does not end in a burst of walk-ins.
constexpr double longest_round_minutes = 10;

// What the driver knows of a ticket beyond the view: the customer's traits and the times it has planned.
struct ticket_plan {
    sim::customer_traits traits;
    std::optional<double> service_end; // simulated minutes
    std::optional<double> leave_at;
    std::optional<double> comeback_at;
    std::optional<double> give_up_at;
    bool priority_refused = false;
};

struct salon_run {
    salon_spec spec;
    std::size_t index = 0;
    sim::random_engine customers; // customers and their traits: the same people for a seed, whatever the timing
    sim::random_engine chance;    // arrivals, service times, breaks, comebacks
    std::map<std::uint64_t, ticket_plan> tickets;
    std::map<std::string, double> break_until;
    std::optional<double> last_round;
    std::uint64_t drawn = 0;
    bool ready = false;
    bool opened = false; // the first round of this run has walked in the customers at the door
    double mean_minutes = 30;
};

// The mean planned minutes of a walk-in's services, by drawing many (a fixed seed: the same for every run).
double mean_planned_minutes(std::vector<engine::service_def> const& catalogue) {
    sim::random_engine rng{7};
    constexpr int draws = 4000;
    double total = 0;
    for (int i = 0; i < draws; ++i) {
        for (auto const& code : sim::draw_services(rng)) {
            auto it = std::ranges::find(catalogue, code, &engine::service_def::code);
            total += it == catalogue.end() ? 0 : it->duration_min;
        }
    }
    return std::max(1.0, total / draws);
}

std::string walk_in_body(engine::customer const& who, std::vector<std::string> const& services) {
    engine::codec::json_writer w;
    w.begin_object().key("customer").begin_object().field("name", who.name);
    if (!who.phone.empty()) {
        w.field("phone", who.phone);
    }
    if (who.id) {
        w.field("customerId", who.id->value());
    }
    w.end_object().key("services").begin_array();
    for (auto const& code : services) {
        w.string(code);
    }
    w.end_array().end_object();
    return w.str();
}

std::string catalogue_body(std::vector<engine::service_def> const& catalogue) {
    engine::codec::json_writer w;
    w.begin_object().key("services");
    engine::codec::write_services(w, catalogue); // the codec's own form of a catalogue
    w.end_object();
    return w.str();
}

} // namespace

struct driver::impl {
    driver_options options;
    token_minter& tokens;
    std::atomic<bool> const& stop;
    std::ostream& out;
    steady::time_point started = steady::now();
    salon_api api;
    std::vector<salon_run> salons;
    bool link_printed = false;

    impl(driver_options o, token_minter& t, std::atomic<bool> const& s, std::ostream& os)
        : options(std::move(o)), tokens(t), stop(s), out(os), api(options.server, t, [this] { return stopping(); }) {
        for (std::size_t i = 0; i < options.salons.size(); ++i) {
            salon_run r;
            r.spec = demo_salon(options.salons[i]);
            r.index = i;
            r.customers.seed(options.seed * 1000 + i);
            r.chance.seed(options.seed * 1000 + 500 + i);
            r.mean_minutes = mean_planned_minutes(r.spec.catalogue);
            salons.push_back(std::move(r));
        }
    }

    [[nodiscard]] bool stopping() const {
        return stop.load() || (options.duration && steady::now() - started >= *options.duration);
    }

    // The simulated clock, in minutes since the run started.
    [[nodiscard]] double now_minutes() const {
        return std::chrono::duration<double>(steady::now() - started).count() * options.speed / 60.0;
    }

    [[nodiscard]] std::string bearer_of(salon_run const& s, staff_spec const& who) {
        return tokens.staff(s.spec.id, who.id, who.role);
    }
    [[nodiscard]] std::string manager_token(salon_run const& s) { return bearer_of(s, s.spec.manager()); }
    [[nodiscard]] std::string token_of_staff(salon_run const& s, queue_snapshot const& q, std::string const& id) {
        auto const* member = q.find_staff(id);
        if (member == nullptr || member->role.empty()) {
            return manager_token(s);
        }
        return tokens.staff(s.spec.id, id, member->role);
    }

    // Registers what is missing of a salon: the salon, its catalogue, its staff. Idempotent.
    bool set_up(salon_run& s) {
        auto q = api.queue(s.spec.id);
        if (!q && q.error() == no_view::failed) {
            return false;
        }
        auto const base = fmt::format("/v1/salons/{}", s.spec.id);
        bool const registered = !q;
        if (registered) {
            engine::codec::json_writer w;
            w.begin_object().field("name", s.spec.name).field("timezone", s.spec.zone).end_object();
            if (api.command(method::put, base, w.str(), tokens.admin(), "register_salon").result == outcome::failed) {
                return false;
            }
            q = api.queue(s.spec.id);
            if (!q) {
                return false;
            }
        }
        auto const& view = *q;
        std::vector<std::string> done;
        if (view.services != s.spec.catalogue) {
            if (api.command(method::patch, base + "/config", catalogue_body(s.spec.catalogue), tokens.admin(),
                            "configure")
                    .result == outcome::accepted) {
                done.push_back(fmt::format("a catalogue of {} services", s.spec.catalogue.size()));
            }
        }
        std::size_t added = 0;
        for (auto const& member : s.spec.staff) {
            if (view.find_staff(member.id) == nullptr) {
                engine::codec::json_writer w;
                w.begin_object()
                    .field("staffId", member.id)
                    .field("name", member.name)
                    .field("role", member.role)
                    .end_object();
                added += api.command(method::post, base + "/staff", w.str(), tokens.admin(), "add_staff").result ==
                                 outcome::accepted
                             ? 1
                             : 0;
            }
        }
        if (added > 0) {
            done.push_back(fmt::format("{} staff", added));
        }
        out << fmt::format("salon {} ({}): {}{}\n", s.spec.id, s.spec.name,
                           registered ? "registered" : "already set up by an earlier run",
                           done.empty() ? std::string{} : fmt::format(", with {}", fmt::join(done, " and ")))
            << std::flush;
        s.ready = true;
        return true;
    }

    // Plans for what the view shows and the driver has not planned: services of an earlier run end after a
    // sampled time, skipped tickets of an earlier run are given up on.
    void reconcile(salon_run& s, queue_snapshot const& q, double now) {
        std::set<std::uint64_t> seen;
        for (auto const& t : q.serving) {
            auto& plan = s.tickets[t.id];
            if (!plan.service_end) {
                plan.service_end = now + sim::service_minutes(s.chance, t.duration_min);
            }
            seen.insert(t.id);
        }
        for (auto const& t : q.waiting) {
            (void)s.tickets[t.id];
            seen.insert(t.id);
        }
        for (auto const& t : q.skipped) {
            auto& plan = s.tickets[t.id];
            if (!plan.comeback_at && !plan.give_up_at) {
                plan.give_up_at = now + give_up_minutes;
            }
            seen.insert(t.id);
        }
        std::erase_if(s.tickets, [&](auto const& entry) { return !seen.contains(entry.first); });
    }

    void walk_in(salon_run& s, double now) {
        auto const who = sim::draw_customer(s.customers, ++s.drawn);
        auto const services = sim::draw_services(s.customers);
        auto const traits = sim::draw_traits(s.customers);
        auto const got = api.command(method::post, fmt::format("/v1/salons/{}/walk-ins", s.spec.id),
                                     walk_in_body(who, services), tokens.pos(s.spec.id), "walk_in");
        if (got.result != outcome::accepted || !got.answer.ticket) {
            return;
        }
        auto& plan = s.tickets[*got.answer.ticket];
        plan.traits = traits;
        if (traits.patience) {
            plan.leave_at = now + static_cast<double>(traits.patience->count());
        }
        constexpr std::string_view api_prefix = "/v1/public/tickets/";
        // One customer's page, of the first salon, for a newcomer to open.
        if (!link_printed && s.index == 0 && got.answer.link.starts_with(api_prefix)) {
            out << fmt::format("customer page of ticket {} at {}: {}/t/{}\n", *got.answer.ticket, s.spec.id,
                               options.server.url(), got.answer.link.substr(api_prefix.size()))
                << std::flush;
            link_printed = true;
        }
    }

    void round(salon_run& s, queue_snapshot const& q) {
        auto const now = now_minutes();
        auto const dt = std::min(longest_round_minutes, s.last_round ? now - *s.last_round : 0.0);
        s.last_round = now;
        reconcile(s, q, now);
        auto const base = fmt::format("/v1/salons/{}", s.spec.id);
        auto const uniform = [&s] { return std::uniform_real_distribution<double>{0.0, 1.0}(s.chance); };
        std::set<std::string> acted;     // staff who did something this round
        std::set<std::uint64_t> handled; // tickets acted on this round

        // Services that are over: the amount is the catalogue price of the ticket's services.
        for (auto const& t : q.serving) {
            if (auto const& plan = s.tickets[t.id]; plan.service_end && *plan.service_end <= now) {
                engine::codec::json_writer w;
                w.begin_object().field("amountCents", q.price_of(t)).end_object();
                (void)api.command(method::post, fmt::format("{}/tickets/{}/complete", base, t.id), w.str(),
                                  token_of_staff(s, q, t.staff), "complete");
                acted.insert(t.staff);
            }
        }
        // Stylists: back from a break (or, in the first round, off duty from an earlier run), or off for one.
        std::size_t on_duty = 0;
        for (auto const& stylist : s.spec.stylists()) {
            auto const* m = q.find_staff(stylist.id);
            on_duty += m != nullptr && m->on_duty ? 1 : 0;
        }
        for (auto const& stylist : s.spec.stylists()) {
            auto const* m = q.find_staff(stylist.id);
            if (m == nullptr || acted.contains(stylist.id)) {
                continue;
            }
            auto const path = fmt::format("{}/staff/{}/", base, stylist.id);
            if (!m->on_duty) {
                if (s.opened && !s.break_until.contains(stylist.id)) {
                    // Clocked out by someone else (a person on the staff console): a break of theirs, left alone.
                    s.break_until[stylist.id] = now + 30 + 30 * uniform();
                }
                if (auto it = s.break_until.find(stylist.id); it == s.break_until.end() || it->second <= now) {
                    if (api.command(method::post, path + "clock-in", "{}", bearer_of(s, stylist), "clock_in").result !=
                        outcome::failed) {
                        s.break_until.erase(stylist.id); // (failed: the expired break stays, the next round retries)
                    }
                    acted.insert(stylist.id);
                }
            } else if (!m->serving && on_duty >= 2 && uniform() < 1 - std::exp(-dt / minutes_between_breaks)) {
                if (api.command(method::post, path + "clock-out", "{}", bearer_of(s, stylist), "clock_out").result ==
                    outcome::accepted) {
                    s.break_until[stylist.id] = now + 10 + 10 * uniform();
                    --on_duty;
                }
                acted.insert(stylist.id);
            }
        }
        // Customers who leave, come back, or are given up on.
        for (auto const& t : q.waiting) {
            if (auto const& plan = s.tickets[t.id]; plan.leave_at && *plan.leave_at <= now) {
                (void)api.command(method::post, fmt::format("{}/tickets/{}/cancel", base, t.id),
                                  R"({"reason":"left without being served"})", manager_token(s), "cancel");
                handled.insert(t.id);
            }
        }
        for (auto const& t : q.skipped) {
            auto& plan = s.tickets[t.id];
            if (plan.comeback_at && *plan.comeback_at <= now) {
                (void)api.command(method::post, fmt::format("{}/tickets/{}/undo-skip", base, t.id), "{}",
                                  manager_token(s), "undo_skip");
                plan.comeback_at.reset();
            } else if (plan.give_up_at && *plan.give_up_at <= now) {
                (void)api.command(method::post, fmt::format("{}/tickets/{}/cancel", base, t.id),
                                  R"({"reason":"did not come back"})", manager_token(s), "cancel");
                plan.give_up_at.reset();
            }
        }
        if (!s.opened) {
            // The doors open with a few customers at them, so the pages show a queue from the first seconds.
            s.opened = true;
            for (auto n = q.waiting.size() + q.serving.size(); n < s.spec.stylists().size() + 2 && !stop.load(); ++n) {
                walk_in(s, now);
            }
        }
        arrivals(s, q, now, dt);
        call_next(s, q, now, acted, handled);
    }

    // Poisson walk-ins at the rate that keeps the stylists on duty `utilisation` busy; some walk away from a long
    // line.
    void arrivals(salon_run& s, queue_snapshot const& q, double now, double dt) {
        std::size_t on_duty = 0;
        for (auto const& stylist : s.spec.stylists()) {
            auto const* m = q.find_staff(stylist.id);
            on_duty += m != nullptr && m->on_duty ? 1 : 0;
        }
        auto const rate = options.utilisation * static_cast<double>(std::max<std::size_t>(1, on_duty)) / s.mean_minutes;
        auto waiting = q.waiting.size();
        for (int n = std::poisson_distribution<int>{rate * dt}(s.chance); n > 0 && !stop.load(); --n) {
            auto const joins = waiting < balk_from ? 1.0 : std::pow(0.5, static_cast<double>(waiting - balk_from + 1));
            if (std::uniform_real_distribution<double>{0.0, 1.0}(s.chance) < joins) {
                walk_in(s, now);
                ++waiting;
            }
        }
    }

    // Free stylists call the next customer: an absent one is skipped; a senior or a child further back is started
    // first by the manager half the time (the daily limit may refuse it: then in turn).
    void call_next(salon_run& s, queue_snapshot const& q, double now, std::set<std::string> const& acted,
                   std::set<std::uint64_t> called) {
        auto const base = fmt::format("/v1/salons/{}", s.spec.id);
        std::size_t next = 0;
        for (auto const& stylist : s.spec.stylists()) {
            auto const* m = q.find_staff(stylist.id);
            if (m == nullptr || !m->on_duty || m->serving || acted.contains(stylist.id)) {
                continue;
            }
            while (next < q.waiting.size() && called.contains(q.waiting[next].id)) {
                ++next;
            }
            if (next >= q.waiting.size()) {
                return;
            }
            auto want =
                std::find_if(q.waiting.begin() + static_cast<std::ptrdiff_t>(next) + 1, q.waiting.end(),
                             [&](snapshot_ticket const& t) {
                                 auto const& plan = s.tickets[t.id];
                                 return plan.traits.wants_priority && !plan.priority_refused && !called.contains(t.id);
                             });
            if (want != q.waiting.end() && std::uniform_real_distribution<double>{0.0, 1.0}(s.chance) < 0.5) {
                engine::codec::json_writer w;
                w.begin_object()
                    .field("staffId", stylist.id)
                    .field("reason", sim::priority_reason(want->id))
                    .end_object();
                auto const got = api.command(method::post, fmt::format("{}/tickets/{}/start-priority", base, want->id),
                                             w.str(), manager_token(s), "start_priority");
                if (got.result == outcome::accepted) {
                    called.insert(want->id);
                    continue;
                }
                s.tickets[want->id].priority_refused = true;
            }
            auto const& head = q.waiting[next];
            called.insert(head.id);
            auto& plan = s.tickets[head.id];
            if (plan.traits.absent) {
                plan.traits.absent = false; // present when they come back
                (void)api.command(method::post, fmt::format("{}/tickets/{}/skip", base, head.id),
                                  R"({"reason":"not in the shop when called"})", manager_token(s), "skip");
                if (auto const back = sim::draw_comeback(s.chance)) {
                    plan.comeback_at = now + static_cast<double>(back->count());
                } else {
                    plan.give_up_at = now + give_up_minutes;
                }
                continue;
            }
            engine::codec::json_writer w;
            w.begin_object().field("staffId", stylist.id).end_object();
            auto const got = api.command(method::post, base + "/start-next", w.str(), bearer_of(s, stylist), "start");
            if (got.result == outcome::rejected && got.answer.error_code == "queue_empty") {
                return;
            }
        }
    }

    [[nodiscard]] std::string summary() const {
        auto n = [this](char const* kind) {
            auto it = api.counts().accepted.find(kind);
            return it == api.counts().accepted.end() ? std::uint64_t{0} : it->second;
        };
        std::uint64_t refused = 0;
        for (auto const& [code, count] : api.counts().rejected) {
            refused += count;
        }
        return fmt::format("{} walk-ins, {} starts, {} priority starts, {} completed, {} skipped, {} back from a "
                           "skip, {} cancelled, {} clock-ins, {} clock-outs; {} refused by the engine, {} unexpected "
                           "answers, {} retries",
                           n("walk_in"), n("start"), n("start_priority"), n("complete"), n("skip"), n("undo_skip"),
                           n("cancel"), n("clock_in"), n("clock_out"), refused, api.counts().unexpected,
                           api.counts().retries);
    }

    int run() {
        out << fmt::format("traffic: driving {} at {}x (a real minute plays {:.3g} simulated hours); Ctrl-C stops\n",
                           fmt::join(options.salons, ", "), options.speed, options.speed / 60)
            << std::flush;
        std::chrono::milliseconds backoff = 200ms;
        auto next_status = steady::now() + 30s;
        while (!stopping() && !api.refused_us()) {
            bool ok = true;
            for (auto& s : salons) {
                if (stopping() || api.refused_us()) {
                    break;
                }
                if (!s.ready) {
                    ok = set_up(s) && ok;
                    continue;
                }
                auto q = api.queue(s.spec.id);
                if (!q) {
                    // Gone (the server restarted on a fresh data directory): set it up again.
                    s.ready = q.error() != no_view::missing;
                    ok = false;
                    break;
                }
                round(s, *q);
            }
            if (ok) {
                backoff = 200ms;
                api.pause(options.round);
            } else {
                api.pause(backoff);
                backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
            }
            if (steady::now() >= next_status) {
                out << "traffic: " << summary() << "\n" << std::flush;
                next_status = steady::now() + 30s;
            }
        }
        out << "traffic stopped: " << summary() << "\n" << std::flush;
        return api.refused_us() ? 1 : 0;
    }
};

driver::driver(driver_options options, token_minter& tokens, std::atomic<bool> const& stop, std::ostream& out)
    : impl_(std::make_unique<impl>(std::move(options), tokens, stop, out)) {}
driver::~driver() = default;
int driver::run() { return impl_->run(); }
traffic_counts const& driver::counts() const { return impl_->api.counts(); }

} // namespace salonq::api::traffic
