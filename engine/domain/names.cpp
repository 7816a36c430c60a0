#include "engine/domain/names.hpp"

#include "engine/domain/commands.hpp"
#include "engine/domain/events.hpp"

#include <array>
#include <type_traits>

namespace salonq::engine {

namespace {

constexpr std::array<std::string_view, std::variant_size_v<command_body>> command_names{
    "register_salon", "configure_salon", "add_staff",      "clock_in", "clock_out", "walk_in", "start", "complete",
    "skip",           "undo_skip",       "start_priority", "cancel",   "close_day"};
// The events are declared in the order of the commands that decide them.
static_assert(std::variant_size_v<event_body> == std::variant_size_v<command_body>);
static_assert(std::is_same_v<std::variant_alternative_t<5, event_body>, evt::ticket_issued> &&
              std::is_same_v<std::variant_alternative_t<5, command_body>, cmd::walk_in>);
static_assert(std::is_same_v<std::variant_alternative_t<12, event_body>, evt::day_closed> &&
              std::is_same_v<std::variant_alternative_t<12, command_body>, cmd::close_day>);

} // namespace

std::string_view type_name(command_body const& body) noexcept { return command_names[body.index()]; }

std::string_view command_type_of(event_body const& body) noexcept { return command_names[body.index()]; }

std::string_view type_name(event_body const& body) noexcept {
    static constexpr std::array<std::string_view, std::variant_size_v<event_body>> names{
        "salon_registered", "salon_configured", "staff_added",       "staff_clocked_in", "staff_clocked_out",
        "ticket_issued",    "service_started",  "service_completed", "ticket_skipped",   "skip_undone",
        "priority_started", "ticket_cancelled", "day_closed"};
    return names[body.index()];
}

std::optional<token> parse_token(std::string_view s) noexcept {
    if (s.size() != 3 || s[0] < 'A' || s[0] > 'Z' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9') {
        return std::nullopt;
    }
    return token{static_cast<std::uint16_t>((s[0] - 'A') * 100 + (s[1] - '0') * 10 + (s[2] - '0'))};
}

} // namespace salonq::engine
