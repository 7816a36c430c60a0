// Property test: random but realistic command sequences over several salons, through decide + evolve, checking
// the domain's invariants after every step. Seeded and reproducible: a failure prints its seed, and
// SALONQ_PROPERTY_SEED=<seed> reruns just that sequence; SALONQ_PROPERTY_RUNS=<n> changes how many run and
// SALONQ_PROPERTY_STATS=1 prints how often each command was accepted and each refusal seen.

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/names.hpp"
#include "test/engine/scenario.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace salonq::test {
namespace {

constexpr std::uint64_t default_base_seed = 0x5a10'2024;
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
// Sanitizer and debug builds run the first sequences only: they look for memory errors, not for rare states.
constexpr std::uint64_t default_runs = 150;
#else
constexpr std::uint64_t default_runs = 2000;
#endif
constexpr std::uint64_t coverage_runs = 1000; // enough sequences to expect every command and refusal
constexpr std::array<char const*, 3> zones{"UTC", "Asia/Kolkata", "America/Los_Angeles"};
constexpr std::array<char const*, 6> staff_pool{"own", "mgr", "st1", "st2", "st3", "st4"};
constexpr std::array<char const*, 4> reasons{"senior_citizen", "medical_urgency", "child", "system_exception"};

role role_of(std::string_view id) { return id == "own" ? role::owner : id == "mgr" ? role::manager : role::staff; }

// Draws commands that are mostly acceptable for the salon's current state (existing tickets and staff in the
// right status) and sometimes deliberately wrong (unknown ids, wrong status, bad values, stale expectedSeq).
class command_source {
public:
    explicit command_source(std::uint64_t seed) : rng_(seed) {}

    bool chance(double p) { return std::bernoulli_distribution{p}(rng_); }
    std::uint64_t below(std::uint64_t n) {
        return n == 0 ? 0 : std::uniform_int_distribution<std::uint64_t>{0, n - 1}(rng_);
    }
    template <typename C>
    auto const& pick(C const& c) {
        return c[below(c.size())];
    }

    command next(salon_state const& s, std::string const& salon, std::string zone, instant at, std::uint64_t n) {
        bad_ = chance(0.08);
        command c;
        c.id = command_id{salon + "-" + std::to_string(n)};
        c.salon = salon_id{salon};
        c.by = terminal();
        c.received_at = at;
        if (chance(0.05)) {
            c.expected_seq = seq_t{s.seq.value()};
        } else if (chance(0.02)) {
            c.expected_seq = seq_t{s.seq.value() + 1 - 2 * below(2)}; // stale or ahead
        }
        c.body = body(s, c, std::move(zone));
        return c;
    }

private:
    command_body body(salon_state const& s, command& c, std::string zone) {
        if (!s.registered) {
            if (chance(0.9)) {
                return register_salon(bad_ ? "Atlantis/Capital" : std::move(zone));
            }
            return walk_in("Early");
        }
        if (s.services.empty() && chance(0.8)) {
            return set_services(catalogue());
        }
        if (s.staff.size() < 3 && chance(0.6)) {
            appointing_actor(role_of(staff_pool[s.staff.size()]), c);
            return add_staff(staff_pool[s.staff.size()], role_of(staff_pool[s.staff.size()]));
        }
        managing_actor(s, c);
        auto const free_staff = [](staff_member const& m) { return m.on_duty && !m.serving; };
        auto const off_duty = [](staff_member const& m) { return !m.on_duty; };
        // A command without a fitting target is drawn again, unless this one is meant to be wrong.
        for (int attempt = 0;; ++attempt) {
            bool const redraw = !bad_ && attempt < 8;
            auto const roll = below(1000);
            if (roll < 280) {
                return random_walk_in();
            }
            if (roll < 480) {
                if (redraw && (!any_staff(s, free_staff) || !any_ticket(s, {ticket_status::waiting}))) {
                    continue;
                }
                auto const staff = staff_where(s, free_staff);
                if (chance(0.7)) {
                    return start(staff);
                }
                return start(staff, ticket_in(s, {ticket_status::waiting}));
            }
            if (roll < 660) {
                if (redraw && !any_ticket(s, {ticket_status::serving})) {
                    continue;
                }
                std::optional<std::int64_t> amount;
                if (bad_ && chance(0.3)) {
                    amount = -5;
                } else if (chance(0.15)) {
                    amount = static_cast<std::int64_t>(below(10'000));
                }
                return complete(ticket_in(s, {ticket_status::serving}), amount);
            }
            if (roll < 710) {
                if (redraw && !any_ticket(s, {ticket_status::waiting})) {
                    continue;
                }
                return skip(ticket_in(s, {ticket_status::waiting}), bad_ && chance(0.3) ? "" : "not here");
            }
            if (roll < 750) {
                if (redraw && !any_ticket(s, {ticket_status::skipped})) {
                    continue;
                }
                return undo_skip(ticket_in(s, {ticket_status::skipped}));
            }
            if (roll < 810) {
                if (redraw && (!any_staff(s, free_staff) || !any_ticket(s, {ticket_status::waiting}))) {
                    continue;
                }
                priority_actor(s, c);
                return priority(ticket_in(s, {ticket_status::waiting}), staff_where(s, free_staff),
                                bad_ && chance(0.3) ? "vip" : pick(reasons));
            }
            if (roll < 850) {
                if (redraw && !any_ticket(s, {ticket_status::waiting, ticket_status::skipped})) {
                    continue;
                }
                return cancel(ticket_in(s, {ticket_status::waiting, ticket_status::skipped}));
            }
            if (roll < 920) {
                if (redraw && !any_staff(s, off_duty)) {
                    continue;
                }
                return clock_in(staff_where(s, off_duty));
            }
            if (roll < 960) {
                if (redraw && !any_staff(s, free_staff)) {
                    continue;
                }
                return clock_out(staff_where(s, free_staff));
            }
            if (roll < 980) {
                return random_configure();
            }
            if (roll < 990) {
                if (redraw && s.staff.size() == staff_pool.size()) {
                    continue;
                }
                auto const& id = pick(staff_pool);
                appointing_actor(role_of(id), c);
                return add_staff(id, role_of(id));
            }
            if (roll < 998) {
                return close_day();
            }
            return register_salon();
        }
    }

    static bool any_ticket(salon_state const& s, std::initializer_list<ticket_status> wanted) {
        return std::any_of(s.tickets.begin(), s.tickets.end(), [&](ticket const& t) {
            return std::find(wanted.begin(), wanted.end(), t.status) != wanted.end();
        });
    }

    template <typename Pred>
    static bool any_staff(salon_state const& s, Pred pred) {
        return std::any_of(s.staff.begin(), s.staff.end(), pred);
    }

    command_body random_walk_in() {
        std::vector<std::string> services{pick(std::array<char const*, 3>{"cut", "beard", "color"})};
        if (chance(0.3)) {
            services.emplace_back("beard");
        }
        if (bad_ && chance(0.3)) {
            return walk_in(customer{"", "", std::nullopt}, services);
        }
        if (bad_ && chance(0.3)) {
            services.emplace_back("perm");
        }
        auto const n = std::to_string(below(10'000));
        if (chance(0.05)) { // the longest a client may send, with characters the encoder must escape
            return walk_in(customer{longest(200), longest(32), customer_id{std::string(64, 'L')}}, services);
        }
        if (chance(0.15)) {
            return walk_in(customer{"", "555 " + n, std::nullopt}, services);
        }
        std::optional<customer_id> loyalty;
        if (chance(0.3)) {
            loyalty = customer_id{"loyal-" + n};
        }
        return walk_in(customer{"c" + n, chance(0.5) ? "+1 555 " + n : "", loyalty}, services);
    }

    // A string of n bytes that the JSON encoder writes at up to twice its length.
    std::string longest(std::size_t n) {
        constexpr std::string_view alphabet = "\"\\a\xc3\xa9";
        std::string out;
        while (out.size() < n) {
            out.push_back(alphabet[below(alphabet.size())]);
        }
        if (static_cast<unsigned char>(out.back()) == 0xc3) { // never cut a two-byte character in half
            out.back() = 'z';
        }
        return out;
    }

    command_body random_configure() {
        switch (below(4)) {
        case 0:
            return set_priority_limit(bad_ ? 25 : static_cast<std::int32_t>(below(4)));
        case 1:
            return set_max_waiting(bad_ ? 0 : static_cast<std::int32_t>(3 + below(40)));
        case 2:
            return set_max_waiting(200);
        default:
            return set_services(bad_ ? std::vector<service_def>{{"cut", "A", 1, 1}, {"cut", "B", 1, 1}} : catalogue());
        }
    }

    // Managing commands come from a terminal mostly, sometimes from a staff member (maybe without the right).
    void managing_actor(salon_state const& s, command& c) {
        if (!s.staff.empty() && chance(0.1)) {
            auto const& m = s.staff[below(s.staff.size())];
            c.by = staff_actor(m.id.value());
        }
    }

    // Owners and managers are appointed by the system (onboarding), unless this command is meant to fail.
    void appointing_actor(role r, command& c) {
        if (r != role::staff && !(bad_ && chance(0.3))) {
            c.by = system_actor();
        }
    }

    // Priority starts are ordered by an owner or manager of the salon, unless this command is meant to fail.
    void priority_actor(salon_state const& s, command& c) {
        std::vector<std::string> bosses;
        for (auto const& m : s.staff) {
            if (m.staff_role != role::staff) {
                bosses.push_back(m.id.value());
            }
        }
        if (!bosses.empty() && !(bad_ && chance(0.5))) {
            c.by = staff_actor(pick(bosses));
        } else {
            c.by = chance(0.5) ? terminal() : staff_actor(pick(staff_pool));
        }
    }

    std::uint64_t ticket_in(salon_state const& s, std::initializer_list<ticket_status> wanted) {
        std::vector<std::uint64_t> ids;
        for (auto const& t : s.tickets) {
            if (std::find(wanted.begin(), wanted.end(), t.status) != wanted.end()) {
                ids.push_back(t.id.value());
            }
        }
        if (ids.empty() || bad_) {
            return below(s.next_ticket + 2); // any id, maybe ended, maybe never issued
        }
        return pick(ids);
    }

    template <typename Pred>
    std::string staff_where(salon_state const& s, Pred pred) {
        std::vector<std::string> ids;
        for (auto const& m : s.staff) {
            if (pred(m)) {
                ids.push_back(m.id.value());
            }
        }
        if (ids.empty() || bad_) {
            return chance(0.2) ? std::string{"ghost"} : std::string{pick(staff_pool)};
        }
        return pick(ids);
    }

    std::mt19937_64 rng_;
    bool bad_ = false;
};

// The invariants that must hold after every step. Returns what is broken, or an empty string.
std::string broken_invariant(salon_state const& s, std::vector<event> const& history) {
    if (s.seq.value() != history.size()) {
        return "state seq " + std::to_string(s.seq.value()) + " != " + std::to_string(history.size()) + " events";
    }
    for (std::size_t i = 0; i < history.size(); ++i) {
        if (history[i].seq.value() != i + 1) {
            return "seq gap at event " + std::to_string(i);
        }
    }
    token_set tokens;
    std::set<std::uint64_t> places;
    for (std::size_t i = 0; i < s.tickets.size(); ++i) {
        auto const& t = s.tickets[i];
        auto const name = "ticket " + std::to_string(t.id.value());
        if (i > 0 && !(s.tickets[i - 1].id < t.id)) {
            return "tickets not sorted by id at " + name;
        }
        if (t.id.value() == 0 || t.id.value() >= s.next_ticket || t.place == 0 || t.place >= s.next_place) {
            return name + " has an id or place beyond the counters";
        }
        if (t.status != ticket_status::waiting && t.status != ticket_status::serving &&
            t.status != ticket_status::skipped) {
            return name + " is in the state but not active";
        }
        if (tokens.contains(t.tok)) {
            return name + " shares token " + t.tok.str() + " with another active ticket";
        }
        tokens.insert(t.tok);
        if (!places.insert(t.place).second) {
            return name + " shares its place";
        }
        bool const serving = t.status == ticket_status::serving;
        if (serving != t.staff.has_value() || serving != t.started_at.has_value()) {
            return name + " staff/started_at do not match its status";
        }
        if (serving) {
            auto const* m = s.find_staff(*t.staff);
            if (m == nullptr || m->serving != t.id) {
                return name + " is served by " + t.staff->value() + " who does not serve it";
            }
        }
        if ((t.status == ticket_status::skipped) == t.skip_reason.empty()) {
            return name + " skip reason does not match its status";
        }
    }
    if (!(tokens == s.tokens) || s.tokens.size() != s.tickets.size()) {
        return "token set does not match the active tickets";
    }
    std::set<std::string> staff_ids;
    for (auto const& m : s.staff) {
        if (!staff_ids.insert(m.id.value()).second) {
            return "staff " + m.id.value() + " twice";
        }
        if (m.serving) {
            auto const* t = s.find_ticket(*m.serving);
            if (t == nullptr || t->status != ticket_status::serving || t->staff != m.id) {
                return "staff " + m.id.value() + " serves ticket " + std::to_string(m.serving->value()) +
                       " that is not served by them";
            }
            if (!m.on_duty) {
                return "staff " + m.id.value() + " serves while off duty";
            }
        }
    }
    auto const line = s.waiting_line();
    if (line.size() != s.waiting_count()) {
        return "waiting line and waiting count disagree";
    }
    for (std::size_t i = 0; i < line.size(); ++i) {
        if ((i > 0 && line[i - 1]->place >= line[i]->place) || s.position_of(line[i]->place) != i + 1) {
            return "waiting order broken at position " + std::to_string(i + 1);
        }
    }
    if (s.priority_used < 0) {
        return "negative priority counter";
    }
    if (!(fold(s.id, history) == s)) {
        return "fold(all events) differs from the live state";
    }
    return {};
}

// Checks one accepted outcome against the state it was decided on. Returns what is wrong, or an empty string.
std::string wrong_outcome(salon_state const& before, command const& c, std::vector<event> const& events) {
    if (events.empty()) {
        return "accepted with no events";
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
        auto const& e = events[i];
        if (e.seq.value() != before.seq.value() + 1 + i || e.cause != c.id || !(e.by == c.by) ||
            e.at != c.received_at || e.salon != c.salon) {
            return "bad envelope on " + describe(e.body);
        }
    }
    auto const& body = events.front().body;
    if (auto const* b = std::get_if<evt::ticket_issued>(&body)) {
        if (before.tokens.contains(b->tok) || b->position != before.waiting_count() + 1 ||
            before.waiting_count() >= static_cast<std::uint32_t>(before.config.max_waiting)) {
            return "bad ticket_issued";
        }
    } else if (auto const* st = std::get_if<evt::service_started>(&body)) {
        auto const* t = before.find_ticket(st->ticket);
        auto const* m = before.find_staff(st->staff);
        auto const& given = std::get<cmd::start_service>(c.body).ticket;
        if (t == nullptr || t->status != ticket_status::waiting || m == nullptr || !m->on_duty || m->serving ||
            st->position != before.position_of(t->place) || (!given && st->position != 1)) {
            return "started a ticket that could not be started";
        }
    } else if (auto const* co = std::get_if<evt::service_completed>(&body)) {
        auto const* t = before.find_ticket(co->ticket);
        auto const amount = std::get<cmd::complete_service>(c.body).amount_cents;
        if (t == nullptr || t->status != ticket_status::serving ||
            co->amount_cents != amount.value_or(t->price_cents) || co->duration_ms < 0) {
            return "completed a ticket that was not being served";
        }
    } else if (auto const* p = std::get_if<evt::priority_started>(&body)) {
        auto const* t = before.find_ticket(p->ticket);
        auto const* boss = before.find_staff(staff_id{p->ordered_by});
        if (t == nullptr || t->status != ticket_status::waiting || boss == nullptr || boss->staff_role == role::staff ||
            p->ordered_by_role != boss->staff_role || c.by.id != p->ordered_by ||
            p->used_today > before.config.priority_daily_limit || p->used_today < 1 ||
            p->position_before != before.position_of(t->place)) {
            return "bad priority start";
        }
    } else if (auto const* cl = std::get_if<evt::day_closed>(&body)) {
        std::size_t open = 0;
        for (auto const& t : before.tickets) {
            open += t.status != ticket_status::serving ? 1U : 0U;
        }
        if (cl->no_shows.size() != open) {
            return "close-day missed a waiting or skipped ticket";
        }
    }
    return {};
}

// Everything the engine writes for an accepted command must read back as it was: the command's log form, each
// event and the salon's state (a salon that could not be read back would be lost).
std::string unreadable_record(command const& c, std::vector<event> const& events, salon_state const& after) {
    auto const written = codec::encode_command(c);
    auto const log_form = codec::decode_command(written, codec::command_source::log);
    if (!log_form || codec::encode_command(*log_form) != written) {
        return "the command's log form does not read back: " + (log_form ? "differs" : log_form.error().message);
    }
    for (auto const& e : events) {
        auto const entry = codec::decode_entry(codec::encode_event(e));
        if (!entry || !(*entry == log_entry{e})) {
            return "an event does not read back: " + (entry ? "differs" : entry.error().message);
        }
    }
    auto const state = codec::decode_state(codec::encode_state(after));
    if (!state || !(*state == after)) {
        return "the state does not read back: " + (state ? "differs" : state.error().message);
    }
    return {};
}

struct tally {
    std::map<std::string, int> accepted;
    std::map<std::string, int> rejected;
    int steps = 0;
};

// One sequence: several salons, interleaved, each driven through decide + evolve. Returns a failure or "".
std::string run_sequence(std::uint64_t seed, tally& counts) {
    command_source src{seed};
    std::vector<std::string> salons{"s0", "s1", "s2"};
    std::vector<salon_state> states(salons.size());
    std::vector<std::vector<event>> histories(salons.size());
    for (std::size_t i = 0; i < salons.size(); ++i) {
        states[i].id = salon_id{salons[i]};
    }
    instant now =
        utc(2024, 1, 1) + std::chrono::minutes{static_cast<std::int64_t>(src.below(std::uint64_t{366} * 24 * 60))};
    auto const steps = 20 + src.below(300);
    for (std::uint64_t step = 0; step < steps; ++step) {
        now += std::chrono::seconds{static_cast<std::int64_t>(src.below(600))};
        if (src.chance(0.01)) {
            now += std::chrono::hours{static_cast<std::int64_t>(6 + src.below(12))};
        } else if (src.chance(0.005)) {
            now -= std::chrono::seconds{static_cast<std::int64_t>(1 + src.below(120))}; // a clock stepped back
        }
        auto const which = src.below(salons.size());
        auto& state = states[which];
        auto& history = histories[which];
        auto const c = src.next(state, salons[which], zones[which], now, step);
        auto const where = "step " + std::to_string(step) + ", salon " + salons[which] + ", command " +
                           std::string{type_name(c.body)} + " by " + c.by.id + ": ";

        auto const d = decide(state, c);
        if (!(decide(state, c) == d)) {
            return where + "decide is not deterministic";
        }
        ++counts.steps;
        if (!d) {
            ++counts.rejected[std::string{to_string(d.error().code)}];
            if (d.error().message.empty()) {
                return where + "rejection without a message";
            }
            continue;
        }
        ++counts.accepted[std::string{type_name(c.body)}];
        // One event of the command's own kind: the HTTP API tells a reused Idempotency-Key by it.
        if (d->size() != 1 || command_type_of(d->front().body) != type_name(c.body)) {
            return where + describe(d) + ": not one event of the command's kind";
        }
        if (auto bad = wrong_outcome(state, c, *d); !bad.empty()) {
            return where + describe(d) + ": " + bad;
        }
        for (auto const& e : *d) {
            evolve(state, e);
            history.push_back(e);
        }
        if (auto bad = broken_invariant(state, history); !bad.empty()) {
            return where + describe(d) + ": " + bad;
        }
        if (auto bad = unreadable_record(c, *d, state); !bad.empty()) {
            return where + describe(d) + ": " + bad;
        }
    }
    return {};
}

std::optional<std::uint64_t> env_number(char const* name) {
    if (char const* v = std::getenv(name); v != nullptr && *v != '\0') {
        return std::strtoull(v, nullptr, 0);
    }
    return std::nullopt;
}

TEST_CASE("property: random command sequences keep the domain's invariants") {
    auto const only_seed = env_number("SALONQ_PROPERTY_SEED");
    auto const runs = only_seed ? 1 : env_number("SALONQ_PROPERTY_RUNS").value_or(default_runs);
    tally counts;
    for (std::uint64_t r = 0; r < runs; ++r) {
        auto const seed = only_seed.value_or(default_base_seed + r);
        auto const failure = run_sequence(seed, counts);
        if (!failure.empty()) {
            FAIL("seed " << seed << " (rerun with SALONQ_PROPERTY_SEED=" << seed << "): " << failure);
        }
    }
    if (runs < coverage_runs) {
        return;
    }

    // The generator must be realistic enough to exercise the engine: most commands accepted, every kind of
    // command accepted at some point, and the interesting refusals seen too.
    int accepted = 0;
    for (auto const& [name, n] : counts.accepted) {
        accepted += n;
    }
    if (env_number("SALONQ_PROPERTY_STATS")) {
        std::string stats = "steps " + std::to_string(counts.steps) + ", accepted " + std::to_string(accepted) + "\n";
        for (auto const& [name, n] : counts.accepted) {
            stats += "  accepted " + name + ": " + std::to_string(n) + "\n";
        }
        for (auto const& [name, n] : counts.rejected) {
            stats += "  rejected " + name + ": " + std::to_string(n) + "\n";
        }
        MESSAGE(stats);
    }
    CAPTURE(counts.steps);
    CAPTURE(accepted);
    CHECK(counts.steps > 100'000);
    CHECK(accepted * 4 > counts.steps * 3); // at least three in four accepted
    for (std::string kind : {"register_salon", "configure_salon", "add_staff", "clock_in", "clock_out", "walk_in",
                             "start", "complete", "skip", "undo_skip", "start_priority", "cancel", "close_day"}) {
        CAPTURE(kind);
        CHECK(counts.accepted[kind] > 0);
    }
    for (auto code : {rejection_code::salon_not_found,
                      rejection_code::salon_exists,
                      rejection_code::invalid_timezone,
                      rejection_code::invalid_config,
                      rejection_code::unknown_service,
                      rejection_code::duplicate_service,
                      rejection_code::staff_exists,
                      rejection_code::unknown_staff,
                      rejection_code::staff_off_duty,
                      rejection_code::staff_already_on_duty,
                      rejection_code::staff_busy,
                      rejection_code::invalid_customer,
                      rejection_code::queue_full,
                      rejection_code::queue_empty,
                      rejection_code::ticket_not_found,
                      rejection_code::not_waiting,
                      rejection_code::not_serving,
                      rejection_code::not_skipped,
                      rejection_code::not_cancellable,
                      rejection_code::invalid_amount,
                      rejection_code::forbidden_role,
                      rejection_code::invalid_reason,
                      rejection_code::priority_limit_reached,
                      rejection_code::seq_conflict}) {
        auto const name = std::string{to_string(code)};
        CAPTURE(name);
        CHECK(counts.rejected[name] > 0);
    }
}

} // namespace
} // namespace salonq::test
