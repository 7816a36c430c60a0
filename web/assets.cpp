#include "web/assets.hpp"

#include <algorithm>
#include <cstddef>

namespace salonq::web {
namespace detail {
extern asset const table[];
extern std::size_t const table_size;
} // namespace detail

std::span<asset const> all_assets() noexcept { return {detail::table, detail::table_size}; }

asset const* find_asset(std::string_view path) noexcept {
    auto const all = all_assets();
    auto const it = std::ranges::find(all, path, &asset::path);
    return it == all.end() ? nullptr : &*it;
}

} // namespace salonq::web
