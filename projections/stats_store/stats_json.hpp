#pragma once

// The JSON of a salon's stats (schemas/views/salon_stats.schema.json), what GET /v1/salons/{salonId}/stats answers.

#include "projections/stats_store/stats_store.hpp"

#include <string>

namespace salonq::projections::stats_store {

[[nodiscard]] std::string encode_stats(salon_stats const& s);

} // namespace salonq::projections::stats_store
