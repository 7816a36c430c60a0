#pragma once

// The largest salon the rules allow, as the client commands that build it (JSON lines, as a POS sends them).
// Every limit is at its maximum and every string is the longest allowed, made of characters that the encoder
// writes escaped (so what the engine stores is as large as it can be):
//   - a catalogue of salon_limits::services services, as long as one 64 KiB configure_salon message holds;
//   - salon_limits::staff members, all on duty, each serving a ticket (a few of them priority starts);
//   - every token of the pool held: waiting tickets up to the end of the pool, some of them skipped with the
//     longest reason; each ticket with the longest name, phone (digits and separators, never escaped) and
//     customerId and salon_limits::ticket_services services of the longest code.
// Tests build it in embedded and in Kafka mode, restart, and check that everything reads back.

#include "engine/codec/json_reader.hpp"
#include "engine/domain/values.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <vector>

namespace salonq::test {

struct largest_salon {
    static constexpr std::size_t priority_starts = engine::salon_config::max_priority_limit;
    static constexpr std::size_t skipped = 1000;

    std::string salon;
    std::vector<std::string> commands; // client JSON, in order
    std::size_t tickets = 0;           // walk-ins accepted (the whole token pool)

    explicit largest_salon(std::string id) : salon(std::move(id)) {
        onboard();
        fill_the_pool();
        serve_and_skip();
    }

    // The commandId of the walk-in past the pool: refused with token_pool_exhausted.
    [[nodiscard]] static std::string overflow_id() { return "big-walk-in-overflow"; }
    [[nodiscard]] std::string overflow_walk_in() const { return walk_in(overflow_id()); }

    // A string of n bytes that JSON writes as 2n: every character is a quote or a backslash.
    [[nodiscard]] static std::string escaped(std::size_t n, char which = '"') {
        std::string out;
        for (std::size_t i = 0; i < n; ++i) {
            out += which == '"' ? "\\\"" : "\\\\";
        }
        return out;
    }
    // The longest id (64 characters), distinct by n.
    [[nodiscard]] static std::string long_id(std::string_view prefix, std::size_t n) {
        auto head = fmt::format("{}-{}-", prefix, n);
        return head + std::string(engine::codec::limits::id - head.size(), 'x');
    }

private:
    [[nodiscard]] std::string envelope(std::string_view type, std::string const& id, std::string_view actor,
                                       std::string const& payload) const {
        return fmt::format(R"({{"type":"{}","commandId":"{}","salonId":"{}","actor":{},"payload":{}}})", type, id,
                           salon, actor, payload);
    }
    [[nodiscard]] static std::string system() { return R"({"kind":"system","id":"onboarding"})"; }
    [[nodiscard]] static std::string owner() {
        return fmt::format(R"({{"kind":"staff","id":"{}"}})", long_id("st", 0));
    }
    [[nodiscard]] static std::string desk() { return R"({"kind":"terminal","id":"front-desk"})"; }

    void onboard() {
        commands.push_back(envelope("register_salon", "big-reg", system(),
                                    fmt::format(R"({{"name":"{}","timezone":"America/Argentina/Buenos_Aires"}})",
                                                escaped(engine::codec::limits::name))));
        commands.push_back(configure());
        for (std::size_t i = 0; i < engine::salon_limits::staff; ++i) {
            auto const role = i == 0 ? "owner" : "staff";
            commands.push_back(envelope("add_staff", fmt::format("big-add-{}", i), i == 0 ? system() : owner(),
                                        fmt::format(R"({{"staffId":"{}","name":"{}","role":"{}"}})", long_id("st", i),
                                                    escaped(engine::codec::limits::name, '\\'), role)));
        }
        for (std::size_t i = 0; i < engine::salon_limits::staff; ++i) {
            commands.push_back(envelope("clock_in", fmt::format("big-in-{}", i), desk(),
                                        fmt::format(R"({{"staffId":"{}"}})", long_id("st", i))));
        }
    }

    // The largest catalogue one client message can carry: every service with the longest code and a name as
    // long as the 64 KiB limit leaves room for.
    [[nodiscard]] std::string configure() const {
        for (std::size_t name = engine::codec::limits::name;; --name) {
            std::string services;
            for (std::size_t i = 0; i < engine::salon_limits::services; ++i) {
                services += fmt::format(R"({}{{"code":"{}","name":"{}","priceCents":10000000,"durationMin":1440}})",
                                        i == 0 ? "" : ",", long_id("svc", i), std::string(name, 'n'));
            }
            auto json = envelope("configure_salon", "big-cfg", system(),
                                 fmt::format(R"({{"priorityDailyLimit":{},"maxWaiting":{},"services":[{}]}})",
                                             engine::salon_config::max_priority_limit,
                                             engine::salon_limits::active_tickets, services));
            if (json.size() <= engine::codec::limits::message) {
                return json;
            }
        }
    }

    // A valid phone (digits, spaces, dashes) of the longest length.
    [[nodiscard]] static std::string longest_phone() {
        std::string phone = "+123456789012345";
        while (phone.size() < engine::codec::limits::phone) {
            phone += phone.size() % 2 == 0 ? " " : "-";
        }
        return phone;
    }

    [[nodiscard]] std::string walk_in(std::string const& id) const {
        std::string services;
        for (std::size_t i = 0; i < engine::salon_limits::ticket_services; ++i) {
            services += fmt::format(R"({}"{}")", i == 0 ? "" : ",", long_id("svc", i));
        }
        return envelope("walk_in", id, desk(),
                        fmt::format(R"({{"customer":{{"name":"{}","phone":"{}","customerId":"{}"}},"services":[{}]}})",
                                    escaped(engine::codec::limits::name), longest_phone(), long_id(id, 0), services));
    }

    void fill_the_pool() {
        for (std::size_t i = 0; i < engine::salon_limits::active_tickets; ++i) {
            commands.push_back(walk_in(fmt::format("big-walk-in-{}", i)));
        }
        tickets = engine::salon_limits::active_tickets;
    }

    // Ticket n (1-based) is the n-th walk-in. The first staff members take priority starts of tickets from the
    // back of the line, the rest start the head of the line; then tickets behind them are skipped.
    void serve_and_skip() {
        for (std::size_t i = 0; i < priority_starts; ++i) {
            commands.push_back(envelope("start_priority", fmt::format("big-priority-{}", i), owner(),
                                        fmt::format(R"({{"ticketId":{},"staffId":"{}","reason":"senior_citizen"}})",
                                                    tickets - i, long_id("st", i))));
        }
        for (std::size_t i = priority_starts; i < engine::salon_limits::staff; ++i) {
            commands.push_back(envelope("start", fmt::format("big-start-{}", i), desk(),
                                        fmt::format(R"({{"staffId":"{}"}})", long_id("st", i))));
        }
        auto const first_waiting = engine::salon_limits::staff - priority_starts + 1;
        for (std::size_t i = 0; i < skipped; ++i) {
            commands.push_back(envelope("skip", fmt::format("big-skip-{}", i), desk(),
                                        fmt::format(R"({{"ticketId":{},"reason":"{}"}})", first_waiting + i,
                                                    escaped(engine::codec::limits::text))));
        }
    }
};

} // namespace salonq::test
