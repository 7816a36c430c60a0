#include "engine/domain/decide.hpp"

#include "engine/domain/calendar.hpp"

#include <algorithm>
#include <set>

namespace salonq::engine {
namespace {

constexpr std::int64_t max_amount_cents = 100'000'000'00; // 100 million in any currency unit
constexpr std::int32_t max_waiting_limit = token::pool_size;
constexpr std::int64_t max_price_cents = 10'000'000;
constexpr std::int32_t max_duration_min = 24 * 60;
static_assert(salon_config::max_priority_limit == 20 && max_waiting_limit == 2600 &&
              salon_config::max_loyalty_cents_per_point == 1'000'000); // the messages below name them

// invalid_config covers every limit of the configuration; a blank name is named as such.
constexpr std::string_view blank_salon_name = "the salon's name is empty (or only spaces)";
constexpr std::string_view blank_staff_name = "the staff member's name is empty (or only spaces)";
constexpr std::string_view bad_priority_limit = "priorityDailyLimit is out of range (0 to 20)";
constexpr std::string_view bad_max_waiting = "maxWaiting is out of range (1 to 2600)";
constexpr std::string_view bad_loyalty_rate = "loyaltyCentsPerPoint is out of range (1 to 1000000)";

// splitmix64: a small, well-mixed generator; seeded from the command so decide stays deterministic.
std::uint64_t splitmix64(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31U);
}

std::uint64_t token_seed(command const& c, seq_t seq) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a over the commandId
    for (unsigned char ch : c.id.value()) {
        h = (h ^ ch) * 0x100000001b3ULL;
    }
    return splitmix64(h ^ splitmix64(seq.value()));
}

rejection reject(rejection_code code) { return rejection{code, std::string{default_message(code)}}; }
// A rejection whose code covers several checks, with a message that names the one that failed.
rejection reject(rejection_code code, std::string_view message) { return rejection{code, std::string{message}}; }

// Never negative: a receive time that steps backwards (clock skew between api instances) counts as no wait.
std::int64_t ms_between(instant from, instant to) noexcept { return std::max<std::int64_t>(0, (to - from).count()); }

// Builds the outcome of an accepted command: one or more events with consecutive seqs.
class outcome {
public:
    outcome(salon_state const& s, command const& c) : state_(s), cmd_(c) {}

    template <typename Body>
    [[nodiscard]] decision one(Body&& body) {
        std::vector<event> out;
        out.push_back(make(std::forward<Body>(body), 1));
        return out;
    }

private:
    template <typename Body>
    event make(Body&& body, std::uint64_t n) {
        return event{cmd_.salon,       seq_t{state_.seq.value() + n},       cmd_.id, cmd_.by,
                     cmd_.received_at, event_body{std::forward<Body>(body)}};
    }
    salon_state const& state_;
    command const& cmd_;
};

// The staff record of the actor, if the actor is a staff member of this salon.
staff_member const* acting_staff(salon_state const& s, command const& c) {
    return c.by.kind == actor_kind::staff ? s.find_staff(staff_id{c.by.id}) : nullptr;
}

// Managing commands (configure, staff, skip, undo, cancel, close-day) are refused to staff members whose role
// is plain staff, and to staff actors who do not work at this salon. Terminals and the system may do them.
constexpr std::string_view not_on_staff = "the acting staff member is not on this salon's staff";

std::optional<rejection> check_manager(salon_state const& s, command const& c) {
    if (c.by.kind != actor_kind::staff) {
        return std::nullopt;
    }
    auto const* who = acting_staff(s, c);
    if (who == nullptr) {
        return reject(rejection_code::forbidden_role, not_on_staff);
    }
    if (who->staff_role == role::staff) {
        return reject(rejection_code::forbidden_role);
    }
    return std::nullopt;
}

std::optional<rejection> check_actor_belongs(salon_state const& s, command const& c) {
    if (c.by.kind == actor_kind::staff && acting_staff(s, c) == nullptr) {
        return reject(rejection_code::forbidden_role, not_on_staff);
    }
    return std::nullopt;
}

std::optional<rejection> check_free_staff(salon_state const& s, staff_id const& id) {
    auto const* member = s.find_staff(id);
    if (member == nullptr) {
        return reject(rejection_code::unknown_staff);
    }
    if (!member->on_duty) {
        return reject(rejection_code::staff_off_duty);
    }
    if (member->serving) {
        return reject(rejection_code::staff_busy);
    }
    return std::nullopt;
}

// A ticket id that was issued once but is no longer active has ended (completed, cancelled, no-show).
bool ever_issued(salon_state const& s, ticket_id id) { return id.value() >= 1 && id.value() < s.next_ticket; }

// What a phone number that valid_phone refuses is told.
constexpr std::string_view bad_phone =
    "the phone number is not valid: 3 to 15 digits, with spaces, '-', '(' and ')' between them and '+' first";

bool valid_phone(std::string_view phone) {
    std::size_t digits = 0;
    for (std::size_t i = 0; i < phone.size(); ++i) {
        char const ch = phone[i];
        if (ch >= '0' && ch <= '9') {
            ++digits;
        } else if (!(ch == ' ' || ch == '-' || ch == '(' || ch == ')' || (ch == '+' && i == 0))) {
            return false;
        }
    }
    return digits >= 3 && digits <= 15;
}

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char ch) { return ch == ' ' || ch == '\t'; });
}

std::optional<rejection> check_services(std::vector<service_def> const& services) {
    std::set<std::string_view> codes;
    for (auto const& svc : services) {
        if (!codes.insert(svc.code).second) {
            return reject(rejection_code::duplicate_service);
        }
        if (svc.price_cents < 0 || svc.price_cents > max_price_cents || svc.duration_min < 1 ||
            svc.duration_min > max_duration_min || blank(svc.code) || blank(svc.name)) {
            return reject(rejection_code::invalid_config);
        }
    }
    return std::nullopt;
}

struct decider {
    salon_state const& s;
    command const& c;
    outcome out{s, c};

    [[nodiscard]] decision operator()(cmd::register_salon const& r) {
        if (s.registered) {
            return std::unexpected(reject(rejection_code::salon_exists));
        }
        if (!is_known_timezone(r.timezone)) {
            return std::unexpected(reject(rejection_code::invalid_timezone));
        }
        if (blank(r.name)) {
            return std::unexpected(reject(rejection_code::invalid_config, blank_salon_name));
        }
        return out.one(evt::salon_registered{r.name, r.timezone, salon_config{}});
    }

    [[nodiscard]] decision operator()(cmd::configure_salon const& r) {
        if (auto no = check_manager(s, c)) {
            return std::unexpected(*no);
        }
        salon_config config = s.config;
        if (r.priority_daily_limit) {
            if (*r.priority_daily_limit < 0 || *r.priority_daily_limit > salon_config::max_priority_limit) {
                return std::unexpected(reject(rejection_code::invalid_config, bad_priority_limit));
            }
            config.priority_daily_limit = *r.priority_daily_limit;
        }
        if (r.max_waiting) {
            if (*r.max_waiting < 1 || *r.max_waiting > max_waiting_limit) {
                return std::unexpected(reject(rejection_code::invalid_config, bad_max_waiting));
            }
            config.max_waiting = *r.max_waiting;
        }
        if (r.loyalty_cents_per_point) {
            if (*r.loyalty_cents_per_point < 1 ||
                *r.loyalty_cents_per_point > salon_config::max_loyalty_cents_per_point) {
                return std::unexpected(reject(rejection_code::invalid_config, bad_loyalty_rate));
            }
            config.loyalty_cents_per_point = *r.loyalty_cents_per_point;
        }
        auto services = r.services ? *r.services : s.services;
        if (auto bad = check_services(services)) {
            return std::unexpected(*bad);
        }
        return out.one(evt::salon_configured{config, std::move(services)});
    }

    [[nodiscard]] decision operator()(cmd::add_staff const& r) {
        if (auto no = check_manager(s, c)) {
            return std::unexpected(*no);
        }
        // Owners and managers can order priority starts and manage the salon: only the system (onboarding)
        // or an owner may appoint one, never a front-desk terminal or another manager.
        if (r.staff_role != role::staff && c.by.kind != actor_kind::system) {
            auto const* who = acting_staff(s, c);
            if (who == nullptr || who->staff_role != role::owner) {
                return std::unexpected(
                    reject(rejection_code::forbidden_role, "only the salon's owner may add an owner or a manager"));
            }
        }
        if (s.find_staff(r.staff) != nullptr) {
            return std::unexpected(reject(rejection_code::staff_exists));
        }
        if (s.staff.size() >= salon_limits::staff) {
            return std::unexpected(reject(rejection_code::staff_limit_reached));
        }
        if (blank(r.name)) {
            return std::unexpected(reject(rejection_code::invalid_config, blank_staff_name));
        }
        return out.one(evt::staff_added{r.staff, r.name, r.staff_role});
    }

    [[nodiscard]] decision operator()(cmd::clock_in const& r) {
        if (auto no = check_actor_belongs(s, c)) {
            return std::unexpected(*no);
        }
        auto const* member = s.find_staff(r.staff);
        if (member == nullptr) {
            return std::unexpected(reject(rejection_code::unknown_staff));
        }
        if (member->on_duty) {
            return std::unexpected(reject(rejection_code::staff_already_on_duty));
        }
        return out.one(evt::staff_clocked_in{r.staff});
    }

    [[nodiscard]] decision operator()(cmd::clock_out const& r) {
        if (auto no = check_actor_belongs(s, c)) {
            return std::unexpected(*no);
        }
        auto const* member = s.find_staff(r.staff);
        if (member == nullptr) {
            return std::unexpected(reject(rejection_code::unknown_staff));
        }
        if (!member->on_duty) {
            return std::unexpected(reject(rejection_code::staff_off_duty));
        }
        if (member->serving) {
            return std::unexpected(reject(rejection_code::staff_busy));
        }
        return out.one(evt::staff_clocked_out{r.staff});
    }

    [[nodiscard]] decision operator()(cmd::walk_in const& r) {
        if (auto no = check_actor_belongs(s, c)) {
            return std::unexpected(*no);
        }
        bool const has_name = !blank(r.who.name);
        bool const has_phone = !r.who.phone.empty();
        if (!has_name && !has_phone) {
            return std::unexpected(reject(rejection_code::invalid_customer));
        }
        if (has_phone && !valid_phone(r.who.phone)) {
            return std::unexpected(reject(rejection_code::invalid_customer, bad_phone));
        }
        if (r.services.empty()) {
            return std::unexpected(reject(rejection_code::unknown_service, "a walk-in needs at least one service"));
        }
        std::int64_t price = 0;
        std::int32_t duration = 0;
        for (std::size_t i = 0; i < r.services.size(); ++i) {
            if (std::find(r.services.begin(), r.services.begin() + static_cast<std::ptrdiff_t>(i), r.services[i]) !=
                r.services.begin() + static_cast<std::ptrdiff_t>(i)) {
                return std::unexpected(
                    reject(rejection_code::duplicate_service, "service '" + r.services[i] + "' is listed twice"));
            }
        }
        for (auto const& code : r.services) {
            auto const* svc = s.find_service(code);
            if (svc == nullptr) {
                return std::unexpected(
                    reject(rejection_code::unknown_service, "there is no service '" + code + "' in the catalogue"));
            }
            price += svc->price_cents;
            duration += svc->duration_min;
        }
        auto const waiting = s.waiting_count();
        if (waiting >= static_cast<std::uint32_t>(s.config.max_waiting)) {
            return std::unexpected(reject(rejection_code::queue_full));
        }
        auto const held = s.tokens.size();
        if (held >= token::pool_size) {
            return std::unexpected(reject(rejection_code::token_pool_exhausted));
        }
        auto const draw = token_seed(c, s.seq) % (token::pool_size - held);
        auto const tok = s.tokens.nth_free(static_cast<std::uint32_t>(draw));
        return out.one(evt::ticket_issued{ticket_id{s.next_ticket}, tok, r.who, r.services, price, duration,
                                          s.next_place, waiting + 1});
    }

    [[nodiscard]] decision operator()(cmd::start_service const& r) {
        if (auto no = check_actor_belongs(s, c)) {
            return std::unexpected(*no);
        }
        if (auto busy = check_free_staff(s, r.staff)) {
            return std::unexpected(*busy);
        }
        ticket const* next = nullptr;
        if (r.ticket) {
            next = s.find_ticket(*r.ticket);
            if (next == nullptr) {
                return std::unexpected(
                    reject(ever_issued(s, *r.ticket) ? rejection_code::not_waiting : rejection_code::ticket_not_found));
            }
            if (next->status != ticket_status::waiting) {
                return std::unexpected(reject(rejection_code::not_waiting));
            }
        } else {
            for (auto const& t : s.tickets) {
                if (t.status == ticket_status::waiting && (next == nullptr || t.place < next->place)) {
                    next = &t;
                }
            }
            if (next == nullptr) {
                return std::unexpected(reject(rejection_code::queue_empty));
            }
        }
        return out.one(evt::service_started{next->id, r.staff, s.position_of(next->place),
                                            ms_between(next->joined_at, c.received_at)});
    }

    [[nodiscard]] decision operator()(cmd::complete_service const& r) {
        if (auto no = check_actor_belongs(s, c)) {
            return std::unexpected(*no);
        }
        auto const* t = s.find_ticket(r.ticket);
        if (t == nullptr && !ever_issued(s, r.ticket)) {
            return std::unexpected(reject(rejection_code::ticket_not_found));
        }
        if (t == nullptr || t->status != ticket_status::serving) {
            return std::unexpected(reject(rejection_code::not_serving));
        }
        auto amount = r.amount_cents.value_or(t->price_cents);
        if (amount < 0 || amount > max_amount_cents) {
            return std::unexpected(reject(rejection_code::invalid_amount));
        }
        auto const duration = t->started_at ? ms_between(*t->started_at, c.received_at) : 0;
        return out.one(evt::service_completed{t->id, t->staff.value_or(staff_id{}), std::max<std::int64_t>(duration, 0),
                                              amount, t->who.id});
    }

    [[nodiscard]] decision operator()(cmd::skip_ticket const& r) {
        if (auto no = check_manager(s, c)) {
            return std::unexpected(*no);
        }
        auto const* t = s.find_ticket(r.ticket);
        if (t == nullptr && !ever_issued(s, r.ticket)) {
            return std::unexpected(reject(rejection_code::ticket_not_found));
        }
        if (t == nullptr || t->status != ticket_status::waiting) {
            return std::unexpected(reject(rejection_code::not_waiting));
        }
        if (blank(r.reason)) {
            return std::unexpected(reject(rejection_code::invalid_reason,
                                          "a skip needs a reason, in words (e.g. \"not here when called\")"));
        }
        return out.one(evt::ticket_skipped{t->id, r.reason, s.position_of(t->place)});
    }

    [[nodiscard]] decision operator()(cmd::undo_skip const& r) {
        if (auto no = check_manager(s, c)) {
            return std::unexpected(*no);
        }
        auto const* t = s.find_ticket(r.ticket);
        if (t == nullptr && !ever_issued(s, r.ticket)) {
            return std::unexpected(reject(rejection_code::ticket_not_found));
        }
        if (t == nullptr || t->status != ticket_status::skipped) {
            return std::unexpected(reject(rejection_code::not_skipped));
        }
        return out.one(evt::skip_undone{t->id, s.position_of(t->place)});
    }

    [[nodiscard]] decision operator()(cmd::start_priority const& r) {
        auto const* who = acting_staff(s, c);
        if (who == nullptr || who->staff_role == role::staff) {
            return std::unexpected(reject(rejection_code::forbidden_role));
        }
        auto const reason = parse_priority_reason(r.reason);
        if (!reason) {
            return std::unexpected(reject(rejection_code::invalid_reason,
                                          "a priority start's reason is senior_citizen, medical_urgency, child or "
                                          "system_exception"));
        }
        auto const* t = s.find_ticket(r.ticket);
        if (t == nullptr && !ever_issued(s, r.ticket)) {
            return std::unexpected(reject(rejection_code::ticket_not_found));
        }
        if (t == nullptr || t->status != ticket_status::waiting) {
            return std::unexpected(reject(rejection_code::not_waiting));
        }
        if (auto busy = check_free_staff(s, r.staff)) {
            return std::unexpected(*busy);
        }
        auto const day = local_day_of(s.timezone, c.received_at);
        auto const used = s.priority_day == day ? s.priority_used : 0;
        if (used >= s.config.priority_daily_limit) {
            return std::unexpected(reject(rejection_code::priority_limit_reached));
        }
        return out.one(evt::priority_started{t->id, r.staff, *reason, who->id.value(), who->staff_role,
                                             s.position_of(t->place), day, used + 1,
                                             ms_between(t->joined_at, c.received_at)});
    }

    [[nodiscard]] decision operator()(cmd::cancel_ticket const& r) {
        if (auto no = check_manager(s, c)) {
            return std::unexpected(*no);
        }
        auto const* t = s.find_ticket(r.ticket);
        if (t == nullptr && !ever_issued(s, r.ticket)) {
            return std::unexpected(reject(rejection_code::ticket_not_found));
        }
        if (t == nullptr || (t->status != ticket_status::waiting && t->status != ticket_status::skipped)) {
            return std::unexpected(reject(rejection_code::not_cancellable));
        }
        return out.one(evt::ticket_cancelled{t->id, r.reason, t->status});
    }

    [[nodiscard]] decision operator()(cmd::close_day const&) {
        if (auto no = check_manager(s, c)) {
            return std::unexpected(*no);
        }
        std::vector<ticket_id> no_shows;
        for (auto const& t : s.tickets) {
            if (t.status == ticket_status::waiting || t.status == ticket_status::skipped) {
                no_shows.push_back(t.id);
            }
        }
        return out.one(evt::day_closed{local_day_of(s.timezone, c.received_at), std::move(no_shows)});
    }
};

} // namespace

decision decide(salon_state const& state, command const& c) {
    bool const registering = std::holds_alternative<cmd::register_salon>(c.body);
    if (!state.registered && !registering) {
        return std::unexpected(reject(rejection_code::salon_not_found));
    }
    if (c.expected_seq && *c.expected_seq != state.seq) {
        return std::unexpected(reject(rejection_code::seq_conflict));
    }
    return std::visit(decider{state, c}, c.body);
}

} // namespace salonq::engine
