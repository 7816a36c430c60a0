#include "engine/runtime/stored.hpp"

#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/log/keys.hpp"
#include "engine/runtime/embedded_engine.hpp"

#include <fmt/format.h>

namespace salonq::engine::runtime {

error storage_error(store::error const& e) { return error{errc::local_store, e.message}; }

std::expected<std::optional<std::int32_t>, error> stored_partition_count(store::rocks_store const& db) {
    auto layout = db.get(store::family::meta, meta_layout_key);
    if (!layout) {
        return std::unexpected(error{errc::local_store, layout.error().message});
    }
    auto const& value = *layout;
    if (!value) {
        return std::optional<std::int32_t>{};
    }
    return std::optional{static_cast<std::int32_t>(log::get_u32(*value))};
}

std::expected<std::optional<salon_state>, error> read_state(store::rocks_store const& db, salon_id const& id) {
    auto stored = db.get(store::family::state, id.value());
    if (!stored) {
        return std::unexpected(error{errc::local_store, stored.error().message});
    }
    auto const& value = *stored;
    if (!value) {
        return std::optional<salon_state>{};
    }
    auto decoded = codec::decode_state(*value);
    if (!decoded) {
        auto const& e = decoded.error();
        return std::unexpected(
            error{errc::corrupt_record, fmt::format("state of salon {} does not decode: {}{}{}", id.value(), e.message,
                                                    e.path.empty() ? "" : " at ", e.path)});
    }
    return std::optional<salon_state>{std::move(*decoded)};
}

std::expected<salon_state*, error> load_state(store::rocks_store const& db, state_cache& cache, salon_id const& id) {
    if (auto it = cache.find(id.value()); it != cache.end()) {
        return &it->second;
    }
    auto stored = read_state(db, id);
    if (!stored) {
        return std::unexpected(std::move(stored.error()));
    }
    auto& value = *stored;
    if (!value) {
        return nullptr;
    }
    return &cache.emplace(id.value(), std::move(*value)).first->second;
}

std::expected<std::optional<dedupe_entry>, error> recent_outcome(store::rocks_store const& db, std::string const& key,
                                                                 instant now, std::chrono::hours retention) {
    auto stored = db.get(store::family::dedupe, key);
    if (!stored) {
        return std::unexpected(error{errc::local_store, stored.error().message});
    }
    auto const& value = *stored;
    if (!value) {
        return std::optional<dedupe_entry>{};
    }
    auto entry = dedupe_entry::decode(*value);
    if (!entry) {
        return std::unexpected(error{errc::corrupt_record, "dedupe entry has the wrong size"});
    }
    if (now - entry->received_at > retention) {
        return std::optional<dedupe_entry>{};
    }
    return entry;
}

std::expected<std::optional<outcome>, error> stored_outcome(store::rocks_store const& db, salon_id const& salon,
                                                            command_id const& command, std::string const& key,
                                                            instant now, std::chrono::hours retention) {
    auto entry = recent_outcome(db, key, now, retention);
    if (!entry) {
        return std::unexpected(entry.error());
    }
    auto const& found = *entry;
    if (!found) {
        return std::optional<outcome>{};
    }
    outcome out{command, salon, true, found->partition, found->first_offset, {}};
    for (std::uint32_t i = 0; i < found->count; ++i) {
        auto value =
            db.get(store::family::events, log::record_key(found->partition, offset_t{found->first_offset.value() + i}));
        if (!value) {
            return std::unexpected(error{errc::local_store, value.error().message});
        }
        auto const& stored = *value;
        if (!stored) {
            return std::unexpected(error{errc::corrupt_record, "dedupe entry points at a missing event"});
        }
        auto decoded = codec::decode_entry(*stored);
        if (!decoded) {
            return std::unexpected(
                error{errc::corrupt_record, "stored event does not decode: " + decoded.error().message});
        }
        out.entries.push_back(std::move(*decoded));
    }
    return std::optional<outcome>{std::move(out)};
}

} // namespace salonq::engine::runtime
