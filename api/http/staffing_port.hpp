#pragma once

// The port GET .../staffing asks for advice through (api/serve's staffing_advisor in embedded mode).

#include "engine/domain/calendar.hpp"
#include "engine/domain/strong.hpp"

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>

namespace salonq::api::http {

// What the advice is learned from and aims at: the last `weeks` full local days before the salon's today, or the
// local days [from, to] when both are given; the p90 wait no hour may exceed.
struct staffing_query {
    engine::salon_id salon;
    std::int32_t weeks = 4;
    std::optional<engine::local_day> from;
    std::optional<engine::local_day> to;
    std::int64_t target_wait_ms = std::int64_t{15} * 60'000;
};

// Why there is no answer: the salon is not known, the advisor has too much to do now, or something failed.
enum class staffing_failure : std::uint8_t { unknown_salon, busy, failed };
struct staffing_error {
    staffing_failure why = staffing_failure::failed;
    std::string message;
};
// The answer's JSON (schemas/views/staffing_advice.schema.json), or why not.
using staffing_result = std::expected<std::string, staffing_error>;

class staffing_port {
public:
    virtual ~staffing_port() = default;
    // Calls `done` exactly once, on this thread (a cached answer) or on the advisor's own (one it works out).
    virtual void advise(staffing_query query, std::move_only_function<void(staffing_result)> done) = 0;
};

} // namespace salonq::api::http
