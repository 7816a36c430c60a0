#pragma once

#include "engine/domain/events.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace salonq::loyalty {

// What a customer earned for one completed service: the completion's place in its salon's log (salon:seq is the
// entry's id, stable across re-folds), the ticket, the amount paid, the points at the rate then in force, when.
struct entry {
    engine::customer_id customer;
    engine::salon_id salon;
    engine::seq_t seq;
    engine::ticket_id ticket;
    std::int64_t points = 0;
    std::int64_t amount_cents = 0;
    engine::instant at{};

    [[nodiscard]] std::string id() const;
    friend bool operator==(entry const&, entry const&) = default;
};

// A salon's part of the fold: the loyalty rate in force (from its registration and every configuration, which
// carry the whole config) and the last seq folded, by which a repeated event is recognised and passed over.
struct salon_fold {
    std::int32_t cents_per_point = engine::salon_config::default_loyalty_cents_per_point;
    engine::seq_t seq{0};
    friend bool operator==(salon_fold const&, salon_fold const&) = default;
};

// How an event met its salon's fold: the next seq (folded), one already folded (a duplicate: nothing changes), or
// one beyond the next (a gap: folded all the same, so points are not lost, and reported by the caller).
enum class step : std::uint8_t { folded, duplicate, gap };

struct step_result {
    step how = step::folded;
    std::optional<entry> earned;
};

// floor(amount / cents_per_point); nothing for a rate below 1 (the domain never makes one).
[[nodiscard]] std::int64_t points_for(std::int64_t amount_cents, std::int32_t cents_per_point) noexcept;

// One event into its salon's fold, like evolve: pure, no clock, no I/O. Only service_completed earns, once, when
// it carries the ticket's customerId (decide copies it from the walk-in) and the amount is worth a point at the
// rate in force: not the walk-in (the old system counted a visit at walk-in and again at completion), not a
// cancel or a no-show, and a priority start earns at its completion like any other.
[[nodiscard]] step_result apply(salon_fold& salon, engine::event const& e);

// The fold over every salon: each salon's salon_fold, by id. What a consumer keeps besides its ledger.
class points_fold {
public:
    [[nodiscard]] step_result apply(engine::event const& e);
    [[nodiscard]] std::map<std::string, salon_fold, std::less<>> const& salons() const noexcept { return salons_; }
    void restore(engine::salon_id const& salon, salon_fold f) { salons_.insert_or_assign(salon.value(), f); }
    friend bool operator==(points_fold const&, points_fold const&) = default;

private:
    std::map<std::string, salon_fold, std::less<>> salons_;
};

} // namespace salonq::loyalty
