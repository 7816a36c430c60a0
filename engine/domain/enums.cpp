#include "engine/domain/enums.hpp"

#include <array>
#include <utility>

namespace salonq::engine {
namespace {

template <typename E, std::size_t N>
std::optional<E> lookup(std::array<std::string_view, N> const& names, std::string_view s) noexcept {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == s) {
            return static_cast<E>(i);
        }
    }
    return std::nullopt;
}

constexpr std::array<std::string_view, 3> role_names{"owner", "manager", "staff"};
constexpr std::array<std::string_view, 6> status_names{"waiting",   "serving",   "skipped",
                                                       "completed", "cancelled", "no_show"};
constexpr std::array<std::string_view, 4> reason_names{"senior_citizen", "medical_urgency", "child",
                                                       "system_exception"};
constexpr std::array<std::string_view, 3> actor_kind_names{"staff", "terminal", "system"};

struct rejection_text {
    std::string_view code;
    std::string_view message;
};

constexpr std::array<rejection_text, 26> rejections{{
    {"salon_not_found", "no salon with this id is registered"},
    {"salon_exists", "a salon with this id is already registered"},
    {"invalid_timezone", "the time zone is not a known IANA time zone"},
    {"invalid_config", "the salon configuration is out of range"},
    {"unknown_service", "a service code is not in the salon's catalogue"},
    {"duplicate_service", "a service code appears twice"},
    {"staff_exists", "a staff member with this id already exists"},
    {"unknown_staff", "no staff member with this id works at this salon"},
    {"staff_off_duty", "the staff member is not clocked in"},
    {"staff_already_on_duty", "the staff member is already clocked in"},
    {"staff_busy", "the staff member is serving another ticket"},
    {"invalid_customer", "a customer needs a name or a phone number"},
    {"queue_full", "the salon's waiting line is full"},
    {"queue_empty", "nobody is waiting"},
    {"token_pool_exhausted", "every token A00..Z99 is held by an active ticket"},
    {"ticket_not_found", "no active ticket with this id"},
    {"not_waiting", "the ticket is not waiting"},
    {"not_serving", "the ticket is not being served"},
    {"not_skipped", "the ticket is not skipped"},
    {"not_cancellable", "only a waiting or skipped ticket can be cancelled"},
    {"invalid_amount", "the amount is out of range"},
    {"forbidden_role", "only an owner or a manager of this salon may do this"},
    {"invalid_reason", "the reason is not one of the allowed values"},
    {"priority_limit_reached", "the salon's daily priority limit is used up"},
    {"seq_conflict", "the salon has changed since expectedSeq"},
    {"staff_limit_reached", "the salon has the most staff members it may have (200)"},
}};

} // namespace

std::string_view to_string(role r) noexcept { return role_names[std::to_underlying(r)]; }
std::string_view to_string(ticket_status s) noexcept { return status_names[std::to_underlying(s)]; }
std::string_view to_string(priority_reason r) noexcept { return reason_names[std::to_underlying(r)]; }
std::string_view to_string(actor_kind k) noexcept { return actor_kind_names[std::to_underlying(k)]; }

std::optional<role> parse_role(std::string_view s) noexcept { return lookup<role>(role_names, s); }
std::optional<ticket_status> parse_ticket_status(std::string_view s) noexcept {
    return lookup<ticket_status>(status_names, s);
}
std::optional<priority_reason> parse_priority_reason(std::string_view s) noexcept {
    return lookup<priority_reason>(reason_names, s);
}
std::optional<actor_kind> parse_actor_kind(std::string_view s) noexcept {
    return lookup<actor_kind>(actor_kind_names, s);
}

std::string_view to_string(rejection_code c) noexcept { return rejections[std::to_underlying(c)].code; }
std::string_view default_message(rejection_code c) noexcept { return rejections[std::to_underlying(c)].message; }
std::optional<rejection_code> parse_rejection_code(std::string_view s) noexcept {
    for (std::size_t i = 0; i < rejections.size(); ++i) {
        if (rejections[i].code == s) {
            return static_cast<rejection_code>(i);
        }
    }
    return std::nullopt;
}

} // namespace salonq::engine
