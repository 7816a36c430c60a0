#pragma once

// GET /v1/salons/{salonId}/stats?day=YYYY-MM-DD or ?from=YYYY-MM-DD&to=YYYY-MM-DD: a salon's figures per local day
// from the stats projection (projections/stats_store), the same numbers `salonq replay --report` gives.

#include "api/http/router.hpp"

#include "engine/domain/calendar.hpp"

#include <cstdint>
#include <expected>
#include <optional>
#include <string_view>

namespace salonq::api::http {

void get_stats(services& ports, request const& req, replier reply);
inline constexpr std::int32_t max_stats_days = 366; // the longest range one request may ask for

// The query errors of the stats routes (stats, staffing): 400 invalid_value naming the parameter.
[[nodiscard]] response bad_query(std::string_view message, std::string_view field);
// A salon the stats do not hold (stats, staffing). The stats follow the log a few milliseconds behind the queue
// views: a salon the views know is one whose first events the stats have not folded yet, 503 not_ready with
// Retry-After (not a 404 that would tell a dashboard the salon does not exist); otherwise 404 salon_not_found.
[[nodiscard]] bool known_to_views(services& ports, std::string_view salon);
[[nodiscard]] response not_in_stats(bool known_to_views);
// One day parameter (YYYY-MM-DD), if given: none when absent, the 400 when it is not a date.
[[nodiscard]] std::expected<std::optional<engine::local_day>, response> day_param(request const& req,
                                                                                  std::string_view name);

} // namespace salonq::api::http
