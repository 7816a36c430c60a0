#pragma once

#include "engine/domain/enums.hpp"
#include "engine/domain/strong.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace salonq::engine {

// A queue token shown to the customer: a letter and two digits, A00..Z99, stored as 0..2599.
struct token {
    static constexpr std::uint16_t pool_size = 2600;
    std::uint16_t index = 0;

    [[nodiscard]] std::string str() const {
        return {static_cast<char>('A' + index / 100), static_cast<char>('0' + index / 10 % 10),
                static_cast<char>('0' + index % 10)};
    }
    friend bool operator==(token, token) = default;
};

[[nodiscard]] std::optional<token> parse_token(std::string_view s) noexcept;

// The most one salon can hold. Together with the codec's string limits they bound the size of a salon's state
// and of every event, so the engine can always read back what it wrote (docs/design.md, "Record sizes").
struct salon_limits {
    static constexpr std::size_t staff = 200;
    static constexpr std::size_t services = 200;
    static constexpr std::size_t ticket_services = 20;
    static constexpr std::size_t active_tickets = token::pool_size; // one token each
};

struct service_def {
    std::string code;
    std::string name;
    std::int64_t price_cents = 0;
    std::int32_t duration_min = 0;
    friend bool operator==(service_def const&, service_def const&) = default;
};

struct salon_config {
    static constexpr std::int32_t default_priority_limit = 5;
    static constexpr std::int32_t max_priority_limit = 20;
    static constexpr std::int32_t default_max_waiting = 200;
    // Loyalty: one point per this many cents of a completed service's amount (default: one per 10 currency units).
    static constexpr std::int32_t default_loyalty_cents_per_point = 1000;
    static constexpr std::int32_t max_loyalty_cents_per_point = 1'000'000;

    std::int32_t priority_daily_limit = default_priority_limit;
    std::int32_t max_waiting = default_max_waiting;
    std::int32_t loyalty_cents_per_point = default_loyalty_cents_per_point;
    friend bool operator==(salon_config const&, salon_config const&) = default;
};

struct customer {
    std::string name;
    std::string phone;
    std::optional<customer_id> id;
    friend bool operator==(customer const&, customer const&) = default;
};

// Who sent a command. The accepting layer (api, CLI, Kafka producer ACL) authenticates it; the domain
// decides what that actor may do from the salon's own staff records, never from a claimed role.
struct actor {
    std::string id;
    actor_kind kind = actor_kind::system;
    friend bool operator==(actor const&, actor const&) = default;
};

} // namespace salonq::engine
