#include "projections/store/told_index.hpp"

#include "engine/log/keys.hpp"

#include <array>
#include <cstring>

namespace salonq::projections::detail {
namespace {

namespace store = salonq::engine::store;

// The value: the wait and its range (8 bytes each), the share served today (4 bytes), native little-endian.
constexpr std::size_t value_bytes = 8 * 3 + 4;

template <class T>
void put(std::string& out, T v) {
    char bytes[sizeof v];
    std::memcpy(bytes, &v, sizeof v);
    out.append(bytes, sizeof v);
}

template <class T>
T take(std::string_view& in) {
    std::array<char, sizeof(T)> bytes{};
    in.copy(bytes.data(), bytes.size());
    in.remove_prefix(bytes.size());
    T v{};
    std::memcpy(&v, bytes.data(), sizeof v);
    return v;
}

} // namespace

std::string told_key(engine::salon_id const& salon, engine::ticket_id ticket) {
    std::string key{'j'};
    key += salon.value();
    key.push_back('\0'); // never in an id
    engine::log::put_u64(key, ticket.value());
    return key;
}

void put_told(store::write_batch& batch, engine::salon_id const& salon, engine::ticket_id ticket,
              told_wait const& told) {
    std::string value;
    value.reserve(value_bytes);
    put(value, told.wait_ms);
    put(value, told.low_ms);
    put(value, told.high_ms);
    put(value, told.today_pct);
    batch.put(store::family::events, told_key(salon, ticket), value);
}

std::expected<std::optional<told_wait>, store::error>
stored_told(store::rocks_store const& db, engine::salon_id const& salon, engine::ticket_id ticket) {
    auto stored = db.get(store::family::events, told_key(salon, ticket));
    if (!stored) {
        return std::unexpected(stored.error());
    }
    std::optional<std::string> const& value = *stored;
    if (!value) {
        return std::optional<told_wait>{};
    }
    if (value->size() != value_bytes) {
        return std::unexpected(store::error{store::errc::corruption, "a told wait of the wrong size"});
    }
    std::string_view in = *value;
    told_wait t;
    t.wait_ms = take<std::int64_t>(in);
    t.low_ms = take<std::int64_t>(in);
    t.high_ms = take<std::int64_t>(in);
    t.today_pct = take<std::int32_t>(in);
    return std::optional<told_wait>{t};
}

} // namespace salonq::projections::detail
