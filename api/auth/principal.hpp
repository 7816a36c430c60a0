#pragma once

#include "engine/domain/strong.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::api::auth {

// What a token says its bearer is. Not the domain's staff role (owner/manager/staff): that one comes from the salon's
// own staff records, and the engine checks it again whatever the token says.
enum class role : std::uint8_t {
    pos,       // a front-desk terminal: walk-ins and reads of its salons
    staff,     // a person who serves customers
    manager,   // a person who runs a salon's queue
    owner,     // a person who owns the salon
    dashboard, // a screen (TV board, console): reads only
    analyst,   // reports: reads, events, statistics
    monitor,   // a metrics scraper (Prometheus): /metrics only, no salon
    admin,     // salonq's operators: everything, any salon
};
inline constexpr std::size_t role_count = 8;

[[nodiscard]] std::string_view to_string(role r) noexcept;
[[nodiscard]] std::optional<role> parse_role(std::string_view s) noexcept;
// staff, manager and owner: a person who acts as one of the salon's staff (the token's `staff` claim).
[[nodiscard]] bool acts_as_staff(role r) noexcept;

// What a token still has to hold after the request it came with: a live stream outlasts its opening request, so the
// server checks its lease again about every second (verifier::still_valid) and ends the stream once the token is
// revoked, expired or signed by a key the server no longer holds, as the next request with it would be refused.
struct token_lease {
    std::string jti;
    std::string kid;
    std::chrono::sys_seconds expires{};
};

// The bearer of a verified token: made only by verifier::verify (or by tests). Cheap to copy.
struct principal {
    std::string subject; // sub: who the token was issued to (a terminal's or a person's name)
    auth::role role = role::dashboard;
    bool all_salons = false;               // salons: "*" (admin only)
    std::vector<engine::salon_id> salons;  // salons: [...], when not all_salons
    std::optional<engine::staff_id> staff; // staff: for staff, manager and owner
    std::string jti;                       // the token's id, for revocation and audit logs
    std::chrono::sys_seconds expires;      // exp
    std::string kid;                       // the key that signed it

    // What a stream opened with this token is checked against while it lasts.
    [[nodiscard]] token_lease lease() const { return token_lease{jti, kid, expires}; }
};

} // namespace salonq::api::auth
