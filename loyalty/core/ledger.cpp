#include "loyalty/core/ledger.hpp"

#include "engine/codec/json_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <tuple>

namespace salonq::loyalty {
namespace {

template <typename T>
std::optional<T> whole_number(std::string_view text) {
    T n{};
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    return ec == std::errc{} && end == text.data() + text.size() ? std::optional{n} : std::nullopt;
}

} // namespace

cursor cursor_of(entry const& e) { return {e.at, e.seq, e.salon}; }

std::string format_cursor(cursor const& c) {
    return fmt::format("{}.{}.{}", engine::to_unix_ms(c.at), c.seq.value(), c.salon.value());
}

std::optional<cursor> parse_cursor(std::string_view text) {
    auto const first = text.find('.');
    auto const second = first == std::string_view::npos ? first : text.find('.', first + 1);
    if (second == std::string_view::npos) {
        return std::nullopt;
    }
    auto const at = whole_number<std::int64_t>(text.substr(0, first));
    auto const seq = whole_number<std::uint64_t>(text.substr(first + 1, second - first - 1));
    auto const salon = text.substr(second + 1);
    if (!at || *at < 0 || !seq || !engine::codec::is_valid_id(salon)) {
        return std::nullopt;
    }
    return cursor{engine::from_unix_ms(*at), engine::seq_t{*seq}, engine::salon_id{std::string{salon}}};
}

bool before(cursor const& a, cursor const& b) noexcept {
    return std::tuple{b.at, a.salon.value(), b.seq.value()} < std::tuple{a.at, b.salon.value(), a.seq.value()};
}

void ledger::add(entry e) {
    auto& mine = customers_[e.customer.value()];
    auto const at = std::ranges::upper_bound(mine, cursor_of(e), before, cursor_of);
    mine.insert(at, std::move(e));
}

std::vector<entry> const& ledger::entries(engine::customer_id const& customer) const {
    static std::vector<entry> const none;
    auto it = customers_.find(customer.value());
    return it == customers_.end() ? none : it->second;
}

std::int64_t ledger::balance(engine::customer_id const& customer) const {
    std::int64_t sum = 0;
    for (auto const& e : entries(customer)) {
        sum += e.points;
    }
    return sum;
}

ledger fold_ledger(std::span<engine::event const> events) {
    points_fold fold;
    ledger out;
    for (auto const& e : events) {
        if (auto step = fold.apply(e); step.earned) {
            out.add(std::move(*step.earned));
        }
    }
    return out;
}

} // namespace salonq::loyalty
