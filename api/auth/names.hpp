#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

// The names of auth's enums (role, action, errc): one array per enum, in the enum's order (each file
// static_asserts its length; the tests round-trip every value), looked up both ways here.
namespace salonq::api::auth::names {

template <typename E>
[[nodiscard]] constexpr std::string_view name_of(std::span<std::string_view const> names, E value) noexcept {
    auto const i = static_cast<std::size_t>(value);
    return i < names.size() ? names[i] : std::string_view{"unknown"};
}

template <typename E>
[[nodiscard]] constexpr std::optional<E> value_of(std::span<std::string_view const> names,
                                                  std::string_view name) noexcept {
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) {
            return static_cast<E>(i);
        }
    }
    return std::nullopt;
}

} // namespace salonq::api::auth::names
