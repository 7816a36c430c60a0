#pragma once

// GET /v1/salons/{salonId}/staffing?targetWait=15&weeks=4 (or &from=YYYY-MM-DD&to=YYYY-MM-DD): the staff per hour of
// the week that keep nine customers in ten within the target wait, beside the staff and waits observed: the
// planner of `salonq replay --report staffing` over the stats projection's history (docs/staffing.md).

#include "api/http/router.hpp"

#include <cstdint>

namespace salonq::api::http {

void get_staffing(services& ports, request const& req, replier reply);
inline constexpr std::int32_t max_staffing_weeks = 52;
inline constexpr std::int32_t max_target_wait_min = 600;

} // namespace salonq::api::http
