#pragma once

#include "engine/domain/events.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace salonq::notify {

enum class notification_kind : std::uint8_t { almost_your_turn, called, skipped, restored };
[[nodiscard]] std::string_view to_string(notification_kind k) noexcept;

// Something a customer should be told, for the salon's webhook to pass on (SMS, app push). The id is made of the
// salon, the seq of the event that caused it, the kind and the ticket: the same whenever it is derived again (after
// a crash, in a rebuild), so it is the delivery's idempotency key.
struct notification {
    std::string id;
    notification_kind kind = notification_kind::called;
    engine::salon_id salon;
    engine::seq_t seq;
    engine::instant at{};
    engine::ticket_id ticket;
    std::string token;
    std::uint32_t position = 0; // almost_your_turn, skipped, restored: the ticket's position; called: 0
    engine::customer customer;
    std::optional<engine::staff_id> staff; // called: who serves
    friend bool operator==(notification const&, notification const&) = default;
};

// Which notifications a salon wants. Delivery settings (where, the secret) are kept apart: these decide what is
// derived from the events.
struct notify_rules {
    static constexpr std::uint32_t default_almost_at = 3;
    static constexpr std::uint32_t max_almost_at = 50;

    std::uint32_t almost_at = default_almost_at; // "almost your turn" when a ticket reaches this position (0: never)
    bool called = true;
    bool skipped = true;
    bool restored = true;
    friend bool operator==(notify_rules const&, notify_rules const&) = default;
};

// What a notification's id names: salon:seq:kind:ticket (a salon id may hold ':' itself: read from the right).
struct notification_key {
    std::string_view salon;
    std::uint64_t seq = 0;
    std::string_view kind;
    std::uint64_t ticket = 0;
};
// The parts of an id as the notifier makes it, or none for any other string.
[[nodiscard]] std::optional<notification_key> parse_notification_id(std::string_view id) noexcept;

} // namespace salonq::notify
