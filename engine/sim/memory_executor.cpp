#include "engine/sim/memory_executor.hpp"

#include "engine/domain/decide.hpp"

namespace salonq::engine::sim {

std::vector<std::vector<log_entry>> memory_executor::operator()(std::vector<command> const& batch) {
    std::vector<std::vector<log_entry>> out;
    out.reserve(batch.size());
    for (auto const& c : batch) {
        auto& state = states_[c.salon.value()];
        if (!state.registered) {
            state.id = c.salon;
        }
        auto entries = decide_and_apply(state, c);
        out.push_back(std::move(entries));
    }
    return out;
}

} // namespace salonq::engine::sim
