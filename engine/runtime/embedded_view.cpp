#include "engine/runtime/embedded_view.hpp"

#include "engine/runtime/state_checkpoint.hpp"
#include "engine/runtime/stored.hpp"

#include <fmt/format.h>

namespace salonq::engine::runtime {

std::expected<std::unique_ptr<embedded_view>, error> embedded_view::open(std::filesystem::path const& dir) {
    store::open_options options;
    options.create_if_missing = false;
    options.read_only = true;
    auto db = store::rocks_store::open(dir, options);
    if (!db) {
        return std::unexpected(error{errc::local_store, db.error().message});
    }
    auto partitions = stored_partition_count(**db);
    if (!partitions) {
        return std::unexpected(partitions.error());
    }
    auto const& count = *partitions;
    if (!count) {
        return std::unexpected(error{errc::misconfigured,
                                     fmt::format("{} is not a salonq log (it has no partition layout)", dir.string())});
    }
    return std::unique_ptr<embedded_view>(new embedded_view(std::move(*db), *count));
}

embedded_view::embedded_view(std::unique_ptr<store::rocks_store> db, std::int32_t partitions)
    : db_(std::move(db)), partitions_(partitions), events_(*db_, store::family::events, partitions),
      commands_(*db_, store::family::commands, partitions) {}

std::expected<std::optional<salon_state>, error> embedded_view::state(salon_id const& id) const {
    return current_state(*db_, id, partitions_);
}

} // namespace salonq::engine::runtime
