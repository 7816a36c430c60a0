#pragma once

// How the stats store keeps a salon's history in parts (JSON, the codec's strict reader): an ended visit, one day's
// counts, and the fold state with the open visits. Private to stats_store/.

#include "projections/stats/history.hpp"

#include <expected>
#include <string>
#include <string_view>

namespace salonq::projections::stats_store {

// What the fold needs to go on for one salon: its state, its open visits and the last seq it applied.
struct salon_record {
    stats::fold_state state;
    std::map<std::uint64_t, stats::visit> open;
    std::uint64_t seq = 0;
};

[[nodiscard]] std::string encode_visit(stats::visit const& v);
[[nodiscard]] std::expected<stats::visit, std::string> decode_visit(std::string_view json);

[[nodiscard]] std::string encode_counts(stats::day_counts const& c);
[[nodiscard]] std::expected<stats::day_counts, std::string> decode_counts(std::string_view json);

[[nodiscard]] std::string encode_salon(stats::salon_history const& h, std::uint64_t seq);
[[nodiscard]] std::expected<salon_record, std::string> decode_salon(std::string_view json);

} // namespace salonq::projections::stats_store
