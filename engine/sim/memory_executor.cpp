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
        auto decided = decide(state, c);
        std::vector<log_entry> entries;
        if (decided) {
            for (auto& e : *decided) {
                evolve(state, e);
                entries.emplace_back(std::move(e));
            }
        } else {
            entries.emplace_back(rejected_command{c.salon, state.seq, c.id, c.by, c.received_at,
                                                  std::string{type_name(c.body)}, std::move(decided.error())});
        }
        out.push_back(std::move(entries));
    }
    return out;
}

} // namespace salonq::engine::sim
