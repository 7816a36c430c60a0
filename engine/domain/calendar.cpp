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

// IANA zone names are parts separated by '/', each starting with an upper-case letter, then letters, digits, '_',
// '-' and '+' ("America/Port-au-Prince", "Etc/GMT+5", "UTC"). The OS zone directory that date's tz database
// lists also holds "localtime" (a link to the server's own zone: a salon's day would move with the server) and
// data files ("zone.tab", "posixrules"); every one of those starts with a lower-case letter.
bool iana_shaped(std::string_view name) noexcept {
    bool part_start = true;
    for (char const ch : name) {
        bool const upper = ch >= 'A' && ch <= 'Z';
        bool const other = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '+';
        if (ch == '/' ? part_start : (part_start ? !upper : !(upper || other))) {
            return false;
        }
        part_start = ch == '/';
    }
    return !part_start;
}

} // namespace

bool is_known_timezone(std::string_view name) noexcept { return iana_shaped(name) && find_zone(name) != nullptr; }

local_day local_day_of(std::string_view timezone, instant t) noexcept {
    auto const* zone = find_zone(timezone);
    if (zone == nullptr) {
        return static_cast<local_day>(date::floor<date::days>(t).time_since_epoch().count());
    }
    auto const local = zone->to_local(t);
    return static_cast<local_day>(date::floor<date::days>(local).time_since_epoch().count());
}

local_clock local_clock_of(std::string_view timezone, instant t) noexcept {
    auto const* zone = find_zone(timezone);
    auto const local =
        zone == nullptr ? date::local_time<std::chrono::milliseconds>{t.time_since_epoch()} : zone->to_local(t);
    auto const day = date::floor<date::days>(local);
    auto const minute = date::floor<std::chrono::minutes>(local - day);
    return {static_cast<local_day>(day.time_since_epoch().count()), static_cast<std::int32_t>(minute.count())};
}

} // namespace salonq::engine
