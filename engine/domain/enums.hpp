#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace salonq::engine {

enum class role : std::uint8_t { owner, manager, staff };
enum class ticket_status : std::uint8_t { waiting, serving, skipped, completed, cancelled, no_show };
enum class priority_reason : std::uint8_t { senior_citizen, medical_urgency, child, system_exception };
// Who sent a command, as authenticated by the layer that accepted it (api, CLI, Kafka ACL).
enum class actor_kind : std::uint8_t { staff, terminal, system };

[[nodiscard]] std::string_view to_string(role r) noexcept;
[[nodiscard]] std::string_view to_string(ticket_status s) noexcept;
[[nodiscard]] std::string_view to_string(priority_reason r) noexcept;
[[nodiscard]] std::string_view to_string(actor_kind k) noexcept;

[[nodiscard]] std::optional<role> parse_role(std::string_view s) noexcept;
[[nodiscard]] std::optional<ticket_status> parse_ticket_status(std::string_view s) noexcept;
[[nodiscard]] std::optional<priority_reason> parse_priority_reason(std::string_view s) noexcept;
[[nodiscard]] std::optional<actor_kind> parse_actor_kind(std::string_view s) noexcept;

// Why decide refused a command. Each value is a stable wire code (see to_string) with a message.
enum class rejection_code : std::uint8_t {
    salon_not_found,
    salon_exists,
    invalid_timezone,
    invalid_config,
    unknown_service,
    duplicate_service,
    staff_exists,
    unknown_staff,
    staff_off_duty,
    staff_already_on_duty,
    staff_busy,
    invalid_customer,
    queue_full,
    queue_empty,
    token_pool_exhausted,
    ticket_not_found,
    not_waiting,
    not_serving,
    not_skipped,
    not_cancellable,
    invalid_amount,
    forbidden_role,
    invalid_reason,
    priority_limit_reached,
    seq_conflict,
    staff_limit_reached,
};

[[nodiscard]] std::string_view to_string(rejection_code c) noexcept;
[[nodiscard]] std::string_view default_message(rejection_code c) noexcept;
[[nodiscard]] std::optional<rejection_code> parse_rejection_code(std::string_view s) noexcept;

} // namespace salonq::engine
