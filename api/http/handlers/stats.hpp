#pragma once

// GET /v1/salons/{salonId}/stats?day=YYYY-MM-DD or ?from=YYYY-MM-DD&to=YYYY-MM-DD: a salon's figures per local day
// from the stats projection (projections/stats_store), the same numbers `salonq replay --report` gives.

#include "api/http/router.hpp"

#include <cstdint>

namespace salonq::api::http {

void get_stats(services& ports, request const& req, replier reply);
inline constexpr std::int32_t max_stats_days = 366; // the longest range one request may ask for

} // namespace salonq::api::http
