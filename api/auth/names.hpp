#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <utility>

// The names of auth's enums (role, action, errc) are tables of (value, name) pairs: one place per enum, looked up
// both ways by these two functions.
namespace salonq::api::auth::names {

template <typename E>
using table = std::span<std::pair<E, std::string_view> const>;

template <typename E>
[[nodiscard]] constexpr std::string_view name_of(table<E> names, E value) noexcept {
    for (auto const& [v, name] : names) {
        if (v == value) {
            return name;
        }
    }
    return "unknown";
}

template <typename E>
[[nodiscard]] constexpr std::optional<E> value_of(table<E> names, std::string_view name) noexcept {
    for (auto const& [v, n] : names) {
        if (n == name) {
            return v;
        }
    }
    return std::nullopt;
}

} // namespace salonq::api::auth::names
