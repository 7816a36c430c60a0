#pragma once

#include "engine/domain/events.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace salonq::engine {

struct priority_info {
    priority_reason reason = priority_reason::system_exception;
    std::string ordered_by;
    friend bool operator==(priority_info const&, priority_info const&) = default;
};

// A customer's ticket while it is active (waiting, serving or skipped). Ended tickets leave the state; their
// history lives in the events and the projections.
struct ticket {
    ticket_id id;
    token tok;
    customer who;
    std::vector<std::string> services;
    std::int64_t price_cents = 0;
    std::int32_t duration_min = 0;
    ticket_status status = ticket_status::waiting;
    std::uint64_t place = 0;
    instant joined_at{};
    std::optional<instant> started_at;
    std::optional<staff_id> staff;
    std::optional<priority_info> priority;
    std::string skip_reason;
    friend bool operator==(ticket const&, ticket const&) = default;
};

struct staff_member {
    staff_id id;
    std::string name;
    role staff_role = role::staff;
    bool on_duty = false;
    std::optional<ticket_id> serving;
    friend bool operator==(staff_member const&, staff_member const&) = default;
};

// Which tokens are held by active tickets. Derived from the tickets; kept for O(1) checks and fast draws.
class token_set {
public:
    [[nodiscard]] bool contains(token t) const noexcept { return (words_[t.index / 64] >> (t.index % 64)) & 1U; }
    void insert(token t) noexcept { words_[t.index / 64] |= std::uint64_t{1} << (t.index % 64); }
    void erase(token t) noexcept { words_[t.index / 64] &= ~(std::uint64_t{1} << (t.index % 64)); }
    [[nodiscard]] std::uint32_t size() const noexcept;
    // The n-th (0-based) token not in the set, in token order; n must be below pool_size - size().
    [[nodiscard]] token nth_free(std::uint32_t n) const noexcept;
    friend bool operator==(token_set const&, token_set const&) = default;

private:
    static constexpr std::size_t word_count = (token::pool_size + 63) / 64;
    std::array<std::uint64_t, word_count> words_{};
};

// Everything decide needs to know about one salon, folded from its events. Plain data: copyable, comparable
// (verify compares a re-fold with the stored state), no I/O.
struct salon_state {
    bool registered = false;
    salon_id id;
    std::string name;
    std::string timezone;
    salon_config config;
    std::vector<service_def> services;
    std::vector<staff_member> staff;
    std::vector<ticket> tickets; // active tickets, sorted by id
    token_set tokens;            // tokens of the active tickets
    seq_t seq{0};                // seq of the last event applied
    std::uint64_t next_ticket = 1;
    std::uint64_t next_place = 1;
    local_day priority_day = 0;
    std::int32_t priority_used = 0;

    friend bool operator==(salon_state const&, salon_state const&) = default;

    [[nodiscard]] ticket const* find_ticket(ticket_id wanted) const noexcept;
    [[nodiscard]] ticket* find_ticket(ticket_id wanted) noexcept;
    [[nodiscard]] staff_member const* find_staff(staff_id const& wanted) const noexcept;
    [[nodiscard]] staff_member* find_staff(staff_id const& wanted) noexcept;
    [[nodiscard]] service_def const* find_service(std::string_view code) const noexcept;
    // Waiting tickets in line order (by place).
    [[nodiscard]] std::vector<ticket const*> waiting_line() const;
    [[nodiscard]] std::uint32_t waiting_count() const noexcept;
    // 1-based position a ticket at `place` has (or would have) among the waiting tickets.
    [[nodiscard]] std::uint32_t position_of(std::uint64_t place) const noexcept;
    // Rebuilds derived fields (token set) after loading tickets from storage.
    void rebuild_derived() noexcept;
};

} // namespace salonq::engine
