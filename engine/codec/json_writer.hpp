#pragma once

#include "engine/domain/time.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace salonq::engine::codec {

// A small streaming JSON writer over fmt's memory buffer. It places commas itself; the caller nests
// begin/end calls correctly. Output is compact, UTF-8, with control characters escaped.
class json_writer {
public:
    json_writer& begin_object();
    json_writer& end_object();
    json_writer& begin_array();
    json_writer& end_array();
    json_writer& key(std::string_view k);

    json_writer& string(std::string_view s);
    json_writer& number(std::int64_t v);
    json_writer& number(std::uint64_t v);
    json_writer& number(std::int32_t v) { return number(static_cast<std::int64_t>(v)); }
    json_writer& number(std::uint32_t v) { return number(static_cast<std::uint64_t>(v)); }
    json_writer& boolean(bool v);
    json_writer& null();
    json_writer& time(instant t);  // RFC 3339, UTC, milliseconds: 2026-11-21T09:30:00.000Z
    json_writer& day(local_day d); // 2026-11-21
    json_writer& raw(std::string_view json);

    template <typename T>
    json_writer& field(std::string_view k, T const& v) {
        key(k);
        if constexpr (std::is_convertible_v<T const&, std::string_view>) {
            return string(v);
        } else if constexpr (std::is_same_v<T, bool>) {
            return boolean(v);
        } else {
            return number(v);
        }
    }

    [[nodiscard]] std::string str() const { return fmt::to_string(buf_); }
    [[nodiscard]] std::string_view view() const noexcept { return {buf_.data(), buf_.size()}; }
    void clear() noexcept {
        buf_.clear();
        need_comma_ = false;
    }

private:
    void separate();
    fmt::memory_buffer buf_;
    bool need_comma_ = false;
};

[[nodiscard]] std::string format_time(instant t);
[[nodiscard]] std::string format_day(local_day d);

} // namespace salonq::engine::codec
