#include "api/serve/rebuild_targets.hpp"

#include "loyalty/store/loyalty_store.hpp"
#include "projections/queue/observed_estimator.hpp"
#include "projections/stats_store/stats_store.hpp"
#include "projections/store/queue_views.hpp"

#include <algorithm>

namespace salonq::api {
namespace {

using opened = std::expected<std::unique_ptr<engine::runtime::rebuildable>, std::string>;

// A store's own open, as the rebuild's interface.
template <class Store, class Error>
[[nodiscard]] opened as_rebuildable(std::expected<std::unique_ptr<Store>, Error> store) {
    if (!store) {
        if constexpr (std::is_same_v<Error, std::string>) {
            return std::unexpected(std::move(store.error()));
        } else {
            return std::unexpected(std::move(store.error().message));
        }
    }
    return std::unique_ptr<engine::runtime::rebuildable>{std::move(*store)};
}

} // namespace

std::vector<rebuild_target> rebuild_targets(std::int32_t partition_count, bool index_outcomes) {
    return {
        {"views", "the queue views",
         [partition_count, index_outcomes](std::filesystem::path const& dir) {
             return as_rebuildable(projections::queue_views::open(
                 dir, partition_count, std::make_unique<projections::observed_estimator>(), index_outcomes));
         }},
        {"stats", "the stats",
         [partition_count](std::filesystem::path const& dir) {
             return as_rebuildable(projections::stats_store::stats_store::open(dir, partition_count));
         }},
        {"loyalty", "the loyalty ledger",
         [partition_count](std::filesystem::path const& dir) {
             return as_rebuildable(loyalty::loyalty_store::open(dir, partition_count));
         }},
    };
}

std::optional<rebuild_target> rebuild_target_named(std::string_view name, std::int32_t partition_count,
                                                   bool index_outcomes) {
    auto targets = rebuild_targets(partition_count, index_outcomes);
    auto it = std::ranges::find(targets, name, &rebuild_target::name);
    return it == targets.end() ? std::nullopt : std::optional<rebuild_target>{std::move(*it)};
}

std::vector<std::string> rebuild_target_names() {
    std::vector<std::string> names;
    for (auto const& t : rebuild_targets(1)) {
        names.emplace_back(t.name);
    }
    return names;
}

} // namespace salonq::api
