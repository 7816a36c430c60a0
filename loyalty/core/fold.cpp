#include "loyalty/core/fold.hpp"

#include <fmt/format.h>

namespace salonq::loyalty {

std::string entry::id() const { return fmt::format("{}:{}", salon.value(), seq.value()); }

std::int64_t points_for(std::int64_t amount_cents, std::int32_t cents_per_point) noexcept {
    return cents_per_point < 1 || amount_cents < 0 ? 0 : amount_cents / cents_per_point;
}

namespace {

// What the event changes in the salon's fold, and what it earns.
std::optional<entry> fold_body(salon_fold& salon, engine::event const& e) {
    if (auto const* r = std::get_if<engine::evt::salon_registered>(&e.body)) {
        salon.cents_per_point = r->config.loyalty_cents_per_point;
    } else if (auto const* c = std::get_if<engine::evt::salon_configured>(&e.body)) {
        salon.cents_per_point = c->config.loyalty_cents_per_point;
    } else if (auto const* done = std::get_if<engine::evt::service_completed>(&e.body)) {
        auto const points = points_for(done->amount_cents, salon.cents_per_point);
        if (done->customer && points > 0) {
            return entry{*done->customer, e.salon, e.seq, done->ticket, points, done->amount_cents, e.at};
        }
    }
    return std::nullopt;
}

} // namespace

step_result apply(salon_fold& salon, engine::event const& e) {
    if (e.seq.value() <= salon.seq.value()) {
        return {step::duplicate, std::nullopt};
    }
    auto const how = e.seq.value() == salon.seq.value() + 1 ? step::folded : step::gap;
    salon.seq = e.seq;
    return {how, fold_body(salon, e)};
}

step_result points_fold::apply(engine::event const& e) {
    auto it = salons_.find(e.salon.value());
    if (it == salons_.end()) {
        it = salons_.emplace(e.salon.value(), salon_fold{}).first;
    }
    return loyalty::apply(it->second, e);
}

} // namespace salonq::loyalty
