#include "engine/runtime/stored.hpp"

#include "engine/codec/state_codec.hpp"

#include <fmt/format.h>

namespace salonq::engine::runtime {

std::expected<salon_state*, error> load_state(store::rocks_store const& db, state_cache& cache, salon_id const& id) {
    if (auto it = cache.find(id.value()); it != cache.end()) {
        return &it->second;
    }
    auto stored = db.get(store::family::state, id.value());
    if (!stored) {
        return std::unexpected(error{errc::storage, stored.error().message});
    }
    if (!*stored) {
        return nullptr;
    }
    auto decoded = codec::decode_state(**stored);
    if (!decoded) {
        return std::unexpected(
            error{errc::corrupt, fmt::format("state of salon {} does not decode: {} at {}", id.value(),
                                             decoded.error().message, decoded.error().path)});
    }
    return &cache.emplace(id.value(), std::move(*decoded)).first->second;
}

std::expected<std::optional<dedupe_entry>, error> recent_outcome(store::rocks_store const& db, std::string const& key,
                                                                 instant now, std::chrono::hours retention) {
    auto stored = db.get(store::family::dedupe, key);
    if (!stored) {
        return std::unexpected(error{errc::storage, stored.error().message});
    }
    if (!*stored) {
        return std::optional<dedupe_entry>{};
    }
    auto entry = dedupe_entry::decode(**stored);
    if (!entry) {
        return std::unexpected(error{errc::corrupt, "dedupe entry has the wrong size"});
    }
    if (now - entry->received_at > retention) {
        return std::optional<dedupe_entry>{};
    }
    return entry;
}

} // namespace salonq::engine::runtime
