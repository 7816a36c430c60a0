#include "engine/domain/calendar.hpp"

#include <date/tz.h>

#include <mutex>
#include <string>
#include <unordered_map>

namespace salonq::engine {
namespace {

date::time_zone const* find_zone(std::string_view name) noexcept {
    static std::mutex mutex;
    static std::unordered_map<std::string, date::time_zone const*> cache;
    std::lock_guard lock{mutex};
    std::string key{name};
    if (auto it = cache.find(key); it != cache.end()) {
        return it->second;
    }
    date::time_zone const* zone = nullptr;
    try {
        zone = date::locate_zone(key);
    } catch (std::exception const&) {
        zone = nullptr; // unknown zone: remembered as such
    }
    cache.emplace(std::move(key), zone);
    return zone;
}

} // namespace

bool is_known_timezone(std::string_view name) noexcept { return !name.empty() && find_zone(name) != nullptr; }

local_day local_day_of(std::string_view timezone, instant t) noexcept {
    auto const* zone = find_zone(timezone);
    if (zone == nullptr) {
        return static_cast<local_day>(date::floor<date::days>(t).time_since_epoch().count());
    }
    auto const local = zone->to_local(t);
    return static_cast<local_day>(date::floor<date::days>(local).time_since_epoch().count());
}

} // namespace salonq::engine
