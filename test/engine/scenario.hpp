#pragma once

// A small DSL for domain tests that reads like the domain: given events (or, for brevity, given commands that
// are decided and folded), when a command, then events or a rejection code. The command bodies come from
// test/support/commands.hpp.
//
//     open_salon("Asia/Kolkata")
//         .given(walk_in("Ann"), walk_in("Bob"))
//         .when(start("st1"))
//         .then_events({evt::service_started{tid(1), sid("st1"), 1, 0}});
//
// A scenario owns one salon's live state and its history. Every accepted outcome (given or then) is checked
// for a correct envelope and folded in, so steps chain. Failures name the line of the test that made them.

#include "engine/domain/calendar.hpp"
#include "engine/domain/decide.hpp"
#include "test/support/commands.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <source_location>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace salonq::test {

using namespace salonq::engine;

// ---- time --------------------------------------------------------------------------------------------------------

// A UTC instant from a calendar date and a time of day.
inline instant utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
    using namespace std::chrono;
    return instant{sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi}};
}

// The local_day number (days since 1970-01-01) of a calendar date.
inline local_day day_number(int y, unsigned mo, unsigned d) {
    using namespace std::chrono;
    return static_cast<local_day>(sys_days{year{y} / month{mo} / day{d}}.time_since_epoch().count());
}

inline constexpr std::int64_t minute_ms = 60'000;

// ---- the default catalogue ------------------------------------------------------------------------------------------

inline std::vector<service_def> catalogue() {
    return {{"cut", "Haircut", 2500, 30}, {"beard", "Beard trim", 1500, 15}, {"color", "Colour", 6000, 90}};
}

// ---- printing, so that a failed check shows what happened -------------------------------------------------------

inline std::string describe(event_body const& body) {
    std::ostringstream o;
    o << type_name(body) << '{';
    auto opt_id = [](std::optional<customer_id> const& id) { return id ? id->value() : std::string{"-"}; };
    std::visit(
        [&](auto const& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, evt::salon_registered>) {
                o << b.name << ',' << b.timezone << ",limit=" << b.config.priority_daily_limit
                  << ",max_waiting=" << b.config.max_waiting;
            } else if constexpr (std::is_same_v<T, evt::salon_configured>) {
                o << "limit=" << b.config.priority_daily_limit << ",max_waiting=" << b.config.max_waiting
                  << ",services=";
                for (auto const& s : b.services) {
                    o << s.code << '/' << s.price_cents << '/' << s.duration_min << ' ';
                }
            } else if constexpr (std::is_same_v<T, evt::staff_added>) {
                o << b.staff.value() << ',' << b.name << ',' << to_string(b.staff_role);
            } else if constexpr (std::is_same_v<T, evt::staff_clocked_in> ||
                                 std::is_same_v<T, evt::staff_clocked_out>) {
                o << b.staff.value();
            } else if constexpr (std::is_same_v<T, evt::ticket_issued>) {
                o << "ticket=" << b.ticket.value() << ",token=" << b.tok.str() << ",who=" << b.who.name << '/'
                  << b.who.phone << '/' << opt_id(b.who.id) << ",price=" << b.price_cents << ",dur=" << b.duration_min
                  << ",place=" << b.place << ",position=" << b.position;
            } else if constexpr (std::is_same_v<T, evt::service_started>) {
                o << "ticket=" << b.ticket.value() << ",staff=" << b.staff.value() << ",position=" << b.position
                  << ",waited_ms=" << b.waited_ms;
            } else if constexpr (std::is_same_v<T, evt::service_completed>) {
                o << "ticket=" << b.ticket.value() << ",staff=" << b.staff.value() << ",duration_ms=" << b.duration_ms
                  << ",amount=" << b.amount_cents << ",customer=" << opt_id(b.customer);
            } else if constexpr (std::is_same_v<T, evt::ticket_skipped>) {
                o << "ticket=" << b.ticket.value() << ",reason=" << b.reason << ",position=" << b.position;
            } else if constexpr (std::is_same_v<T, evt::skip_undone>) {
                o << "ticket=" << b.ticket.value() << ",position=" << b.position;
            } else if constexpr (std::is_same_v<T, evt::priority_started>) {
                o << "ticket=" << b.ticket.value() << ",staff=" << b.staff.value() << ",reason=" << to_string(b.reason)
                  << ",by=" << b.ordered_by << '/' << to_string(b.ordered_by_role)
                  << ",position_before=" << b.position_before << ",day=" << b.day << ",used=" << b.used_today
                  << ",waited_ms=" << b.waited_ms;
            } else if constexpr (std::is_same_v<T, evt::ticket_cancelled>) {
                o << "ticket=" << b.ticket.value() << ",reason=" << b.reason << ",was=" << to_string(b.was);
            } else if constexpr (std::is_same_v<T, evt::day_closed>) {
                o << "day=" << b.day << ",no_shows=";
                for (auto const& id : b.no_shows) {
                    o << id.value() << ' ';
                }
            }
        },
        body);
    o << '}';
    return o.str();
}

inline std::string describe(decision const& d) {
    if (!d) {
        return "rejected " + std::string{to_string(d.error().code)};
    }
    std::string s = "accepted";
    for (auto const& e : *d) {
        s += " #" + std::to_string(e.seq.value()) + ' ' + describe(e.body);
    }
    return s;
}

} // namespace salonq::test

template <>
struct doctest::StringMaker<salonq::engine::event_body> {
    static doctest::String convert(salonq::engine::event_body const& b) { return salonq::test::describe(b).c_str(); }
};

namespace salonq::test {

// ---- the scenario -----------------------------------------------------------------------------------------------

class scenario {
public:
    using where = std::source_location;

    explicit scenario(std::string salon = "s1") : salon_{std::move(salon)} {}

    // The clock: the receive time of the next command (or given event).
    scenario& at(instant t) {
        now_ = t;
        return *this;
    }
    scenario& after(std::chrono::milliseconds d) {
        now_ += d;
        return *this;
    }
    // One-shot envelope settings for the next command.
    scenario& by(actor a) {
        next_actor_ = std::move(a);
        return *this;
    }
    scenario& expecting_seq(std::uint64_t seq) {
        next_expected_ = seq_t{seq};
        return *this;
    }
    scenario& with_id(std::string id) {
        next_id_ = std::move(id);
        return *this;
    }

    // Given: events that happened, appended with the next seqs at the current time.
    template <typename... Bodies>
    scenario& given_events(Bodies&&... bodies) {
        (append(event{salon_id{salon_}, seq_t{state_.seq.value() + 1}, command_id{"given-" + std::to_string(++ids_)},
                      system_actor(), now_, event_body{std::forward<Bodies>(bodies)}}),
         ...);
        return *this;
    }

    // Given: commands that were accepted (decided and folded). A refused one fails the test.
    template <typename... Bodies>
    scenario& given(Bodies&&... bodies) {
        (given_one(command_body{std::forward<Bodies>(bodies)}), ...);
        return *this;
    }
    // Given the same command n times (e.g. n walk-ins).
    scenario& given_times(int n, command_body const& body) {
        for (int i = 0; i < n; ++i) {
            given_one(body);
        }
        return *this;
    }

    // When: decide a command against the state so far.
    scenario& when(command_body body) {
        last_ = next_command(std::move(body));
        result_ = decide(state_, last_);
        return *this;
    }

    // Then: the command was accepted with exactly these event bodies, in a correct envelope. Folds them in.
    scenario& then_events(std::vector<event_body> const& expected, where loc = where::current()) {
        INFO("scenario step at " << loc.file_name() << ':' << loc.line());
        REQUIRE_MESSAGE(result_.has_value(), "expected events, got " << describe(result_));
        CHECK(result_->size() == expected.size());
        for (std::size_t i = 0; i < result_->size() && i < expected.size(); ++i) {
            CHECK((*result_)[i].body == expected[i]);
        }
        accept(loc);
        return *this;
    }

    // Then: the command was accepted with one event of type T, returned for field-level checks. Folds it in.
    template <typename T>
    T then_event(where loc = where::current()) {
        INFO("scenario step at " << loc.file_name() << ':' << loc.line());
        REQUIRE_MESSAGE(result_.has_value(),
                        "expected " << type_name(event_body{T{}}) << ", got " << describe(result_));
        REQUIRE(result_->size() == 1);
        auto const* body = std::get_if<T>(&result_->front().body);
        REQUIRE_MESSAGE(body != nullptr, "got " << describe(result_));
        T copy = *body;
        accept(loc);
        return copy;
    }

    // Then: the command was refused with this code (and its standard message); nothing is folded.
    scenario& then_rejected(rejection_code code, where loc = where::current()) {
        INFO("scenario step at " << loc.file_name() << ':' << loc.line());
        REQUIRE_MESSAGE(!result_.has_value(), "expected " << to_string(code) << ", got " << describe(result_));
        CHECK(std::string{to_string(result_.error().code)} == std::string{to_string(code)});
        CHECK(result_.error().message == std::string{default_message(code)});
        return *this;
    }

    // Then: refused with this code and this message (a code that covers several checks names the one that failed).
    scenario& then_rejected(rejection_code code, std::string const& message, where loc = where::current()) {
        INFO("scenario step at " << loc.file_name() << ':' << loc.line());
        REQUIRE_MESSAGE(!result_.has_value(), "expected " << to_string(code) << ", got " << describe(result_));
        CHECK(std::string{to_string(result_.error().code)} == std::string{to_string(code)});
        CHECK(result_.error().message == message);
        return *this;
    }

    [[nodiscard]] salon_state const& state() const noexcept { return state_; }
    [[nodiscard]] std::vector<event> const& history() const noexcept { return history_; }
    [[nodiscard]] decision const& result() const noexcept { return result_; }
    [[nodiscard]] command const& last_command() const noexcept { return last_; }
    [[nodiscard]] instant now() const noexcept { return now_; }
    [[nodiscard]] ticket const& ticket_of(std::uint64_t id) const {
        auto const* t = state_.find_ticket(tid(id));
        REQUIRE_MESSAGE(t != nullptr, "ticket " << id << " is not active");
        return *t;
    }

private:
    // The next command: the one-shot envelope settings, or the defaults (a generated id, terminal pos-1).
    command next_command(command_body body) {
        auto c = make_command(next_id_.value_or("cmd-" + std::to_string(++ids_)), salon_, std::move(body), now_,
                              next_actor_.value_or(terminal()));
        c.expected_seq = next_expected_;
        next_id_.reset();
        next_expected_.reset();
        next_actor_.reset();
        return c;
    }

    void given_one(command_body body, where loc = where::current()) {
        last_ = next_command(std::move(body));
        result_ = decide(state_, last_);
        INFO("given " << type_name(last_.body) << " at " << now_.time_since_epoch().count() << "ms");
        REQUIRE_MESSAGE(result_.has_value(), "a given command was refused: " << describe(result_));
        accept(loc);
    }

    // Checks the envelope of every event of an accepted outcome and folds them into the state.
    void accept(where loc) {
        INFO("scenario step at " << loc.file_name() << ':' << loc.line());
        auto next_seq = state_.seq.value() + 1;
        for (auto const& e : *result_) {
            CHECK(e.salon == salon_id{salon_});
            CHECK(e.seq.value() == next_seq++);
            CHECK(e.cause == last_.id);
            CHECK(e.by == last_.by);
            CHECK(e.at == last_.received_at);
            append(e);
        }
    }

    void append(event const& e) {
        evolve(state_, e);
        history_.push_back(e);
    }

    std::string salon_;
    salon_state state_;
    std::vector<event> history_;
    instant now_ = utc(2024, 6, 3, 8, 0); // a Monday morning in UTC
    std::uint64_t ids_ = 0;
    std::optional<actor> next_actor_;
    std::optional<seq_t> next_expected_;
    std::optional<std::string> next_id_;
    command last_;
    decision result_;
};

// A registered salon with the default catalogue, an owner "own", a manager "mgr" and two staff "st1", "st2"
// (clocked in): eight events, all at the scenario's start time, 2024-06-03 08:00 UTC.
inline scenario open_salon(std::string tz = "Europe/London", std::string salon = "s1") {
    scenario s{std::move(salon)};
    s.given(register_salon(std::move(tz)), set_services(catalogue()));
    s.by(system_actor()).given(add_staff("own", role::owner));       // onboarding appoints the owner,
    s.by(staff_actor("own")).given(add_staff("mgr", role::manager)); // the owner a manager
    s.given(add_staff("st1", role::staff), add_staff("st2", role::staff), clock_in("st1"), clock_in("st2"));
    return s;
}

// Ticket ids 1..n walked in by customers named c1..cn.
inline scenario& walk_ins(scenario& s, int n) {
    for (int i = 1; i <= n; ++i) {
        s.given(walk_in("c" + std::to_string(i)));
    }
    return s;
}

// The ids of the waiting tickets, in line order.
inline std::vector<std::uint64_t> waiting_ids(salon_state const& s) {
    std::vector<std::uint64_t> ids;
    for (auto const* t : s.waiting_line()) {
        ids.push_back(t->id.value());
    }
    return ids;
}

} // namespace salonq::test
