#pragma once

#include "engine/domain/state.hpp"
#include "engine/log/embedded_log.hpp"
#include "engine/runtime/outcome.hpp"
#include "engine/store/rocks_store.hpp"

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>

namespace salonq::engine::runtime {

// A read-only view of an embedded engine's data directory as it was when the view was opened: the commands and
// events logs, the salon states, and the store for verify. It takes no lock and writes nothing, so it works
// beside an engine running in another process, and a directory that holds no log is an error, never created.
// Writes made after the open are not seen (open another view). Reads may come from any thread.
class embedded_view {
public:
    [[nodiscard]] static std::expected<std::unique_ptr<embedded_view>, error> open(std::filesystem::path const& dir);

    embedded_view(embedded_view const&) = delete;
    embedded_view& operator=(embedded_view const&) = delete;

    [[nodiscard]] std::int32_t partition_count() const noexcept { return partitions_; }
    // The salon's state (none if it was never registered).
    [[nodiscard]] std::expected<std::optional<salon_state>, error> state(salon_id const& id) const;
    [[nodiscard]] log::reader& events() noexcept { return events_; }
    [[nodiscard]] log::reader& commands() noexcept { return commands_; }
    [[nodiscard]] store::rocks_store const& db() const noexcept { return *db_; }

private:
    embedded_view(std::unique_ptr<store::rocks_store> db, std::int32_t partitions);

    std::unique_ptr<store::rocks_store> db_;
    std::int32_t partitions_;
    log::embedded_reader events_;
    log::embedded_reader commands_;
};

} // namespace salonq::engine::runtime
