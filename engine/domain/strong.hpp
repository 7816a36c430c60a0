#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace salonq::engine {

// A value wrapped in a tag so that, say, a salon id cannot be passed where a staff id goes.
template <typename T, typename Tag>
class named {
public:
    using value_type = T;

    named() = default;
    explicit named(T v) : value_(std::move(v)) {}

    [[nodiscard]] T const& value() const noexcept { return value_; }
    [[nodiscard]] T& value() noexcept { return value_; }

    friend auto operator<=>(named const&, named const&) = default;
    friend bool operator==(named const&, named const&) = default;

private:
    T value_{};
};

using salon_id = named<std::string, struct salon_id_tag>;
using staff_id = named<std::string, struct staff_id_tag>;
using command_id = named<std::string, struct command_id_tag>;
using customer_id = named<std::string, struct customer_id_tag>;
// Tickets are numbered per salon by the engine, starting at 1.
using ticket_id = named<std::uint64_t, struct ticket_id_tag>;
// Per-salon event sequence number, gapless from 1.
using seq_t = named<std::uint64_t, struct seq_tag>;
// Position of a record in a log partition.
using offset_t = named<std::int64_t, struct offset_tag>;
using partition_id = named<std::int32_t, struct partition_tag>;

} // namespace salonq::engine

template <typename T, typename Tag>
struct std::hash<salonq::engine::named<T, Tag>> {
    std::size_t operator()(salonq::engine::named<T, Tag> const& v) const noexcept { return std::hash<T>{}(v.value()); }
};
