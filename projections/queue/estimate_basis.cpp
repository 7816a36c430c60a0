#include "projections/queue/estimate_basis.hpp"

#include "projections/queue/queue_view.hpp"

namespace salonq::projections {

std::optional<engine::instant> continue_chain(queue_view& view, engine::ticket_id ticket) {
    auto& b = view.basis;
    auto const at_end = !view.waiting.empty() && view.waiting.back().id == ticket;
    auto const continues = b.seq.value() != 0 && b.seq.value() + 1 == view.seq.value() && at_end &&
                           view.updated_at >= b.at && view.updated_at - b.full_at < walk_in_chain_span;
    if (!continues) {
        b = estimate_basis{view.seq, view.updated_at, view.seq, view.updated_at,
                           static_cast<std::uint32_t>(view.waiting.size())};
        return std::nullopt;
    }
    auto const before = b.at;
    b.seq = view.seq;
    b.at = view.updated_at;
    return before;
}

} // namespace salonq::projections
