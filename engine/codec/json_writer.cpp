#include "engine/codec/json_writer.hpp"

#include <date/date.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace salonq::engine::codec {
namespace {

void append(fmt::memory_buffer& buf, std::string_view s) { buf.append(s.data(), s.data() + s.size()); }

// Whether any of the 8 bytes in `x` needs an escape: below 0x20, '"' or '\\' (the classic has-zero-byte test on x
// and on x xor the two characters; bytes of 0x80 and above, UTF-8's, never match).
constexpr bool any_to_escape(std::uint64_t x) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    auto const below = [](std::uint64_t v, std::uint64_t n) { return (v - ones * n) & ~v & highs; };
    return (below(x, 0x20) | below(x ^ (ones * '"'), 1) | below(x ^ (ones * '\\'), 1)) != 0;
}

// The index of the first byte at or after `from` that needs an escape, or s.size(): strings are read 8 bytes at a
// time (ids, names and codes rarely hold one; this was the self time of every JSON write in the walk-in profile).
std::size_t next_to_escape(std::string_view s, std::size_t from) noexcept {
    auto i = from;
    for (; i + sizeof(std::uint64_t) <= s.size(); i += sizeof(std::uint64_t)) {
        std::uint64_t block = 0;
        std::memcpy(&block, s.data() + i, sizeof block);
        if (any_to_escape(block)) {
            break;
        }
    }
    for (; i < s.size(); ++i) {
        auto const ch = static_cast<unsigned char>(s[i]);
        if (ch < 0x20 || ch == '"' || ch == '\\') {
            return i;
        }
    }
    return i;
}

void append_escaped(fmt::memory_buffer& buf, std::string_view s) {
    buf.push_back('"');
    std::size_t run = 0; // start of the current run of characters that need no escape
    for (std::size_t i = next_to_escape(s, 0); i < s.size(); i = next_to_escape(s, i + 1)) {
        auto const ch = static_cast<unsigned char>(s[i]);
        append(buf, s.substr(run, i - run));
        switch (ch) {
        case '"':
            append(buf, "\\\"");
            break;
        case '\\':
            append(buf, "\\\\");
            break;
        case '\n':
            append(buf, "\\n");
            break;
        case '\r':
            append(buf, "\\r");
            break;
        case '\t':
            append(buf, "\\t");
            break;
        default:
            fmt::format_to(std::back_inserter(buf), "\\u{:04x}", static_cast<unsigned>(ch));
        }
        run = i + 1;
    }
    append(buf, s.substr(run));
    buf.push_back('"');
}

constexpr int max_four_digit_year = 9999;
constexpr std::size_t rfc3339_ms_length = 24; // 2026-11-21T09:30:00.123Z

// value in exactly `width` decimal digits, zero-padded (value < 10^width).
char* put_digits(char* out, unsigned value, int width) {
    constexpr unsigned base = 10;
    for (int i = width - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + value % base);
        value /= base;
    }
    return out + width;
}

} // namespace

void json_writer::separate() {
    if (need_comma_) {
        buf_.push_back(',');
    }
    need_comma_ = true;
}

json_writer& json_writer::begin_object() {
    separate();
    buf_.push_back('{');
    need_comma_ = false;
    return *this;
}

json_writer& json_writer::end_object() {
    buf_.push_back('}');
    need_comma_ = true;
    return *this;
}

json_writer& json_writer::begin_array() {
    separate();
    buf_.push_back('[');
    need_comma_ = false;
    return *this;
}

json_writer& json_writer::end_array() {
    buf_.push_back(']');
    need_comma_ = true;
    return *this;
}

json_writer& json_writer::key(std::string_view k) {
    separate();
    append_escaped(buf_, k);
    buf_.push_back(':');
    need_comma_ = false;
    return *this;
}

json_writer& json_writer::string(std::string_view s) {
    separate();
    append_escaped(buf_, s);
    return *this;
}

json_writer& json_writer::number(std::int64_t v) {
    separate();
    fmt::format_int const text{v}; // no format string to parse: numbers are in every event, state and view
    append(buf_, {text.data(), text.size()});
    return *this;
}

json_writer& json_writer::number(std::uint64_t v) {
    separate();
    fmt::format_int const text{v};
    append(buf_, {text.data(), text.size()});
    return *this;
}

json_writer& json_writer::boolean(bool v) {
    separate();
    append(buf_, v ? "true" : "false");
    return *this;
}

json_writer& json_writer::null() {
    separate();
    append(buf_, "null");
    return *this;
}

json_writer& json_writer::time(instant t) {
    separate();
    buf_.push_back('"');
    auto const days = date::floor<date::days>(t);
    date::year_month_day const ymd{days};
    date::hh_mm_ss const hms{t - days};
    auto const year = static_cast<int>(ymd.year());
    if (year < 0 || year > max_four_digit_year) {
        fmt::format_to(std::back_inserter(buf_), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year,
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                       hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
    } else {
        // The common case by hand: the format string's parse was most of a view's encoding (several times each).
        std::array<char, rfc3339_ms_length> text{};
        auto* out = text.data();
        out = put_digits(out, static_cast<unsigned>(year), 4);
        *out++ = '-';
        out = put_digits(out, static_cast<unsigned>(ymd.month()), 2);
        *out++ = '-';
        out = put_digits(out, static_cast<unsigned>(ymd.day()), 2);
        *out++ = 'T';
        out = put_digits(out, static_cast<unsigned>(hms.hours().count()), 2);
        *out++ = ':';
        out = put_digits(out, static_cast<unsigned>(hms.minutes().count()), 2);
        *out++ = ':';
        out = put_digits(out, static_cast<unsigned>(hms.seconds().count()), 2);
        *out++ = '.';
        out = put_digits(out, static_cast<unsigned>(hms.subseconds().count()), 3);
        *out++ = 'Z';
        buf_.append(text.data(), out);
    }
    buf_.push_back('"');
    return *this;
}

json_writer& json_writer::day(local_day d) {
    separate();
    date::year_month_day const ymd{date::sys_days{date::days{d}}};
    fmt::format_to(std::back_inserter(buf_), "\"{:04}-{:02}-{:02}\"", static_cast<int>(ymd.year()),
                   static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return *this;
}

json_writer& json_writer::raw(std::string_view json) {
    separate();
    append(buf_, json);
    return *this;
}

std::string format_time(instant t) {
    json_writer w;
    w.time(t);
    auto s = w.str();
    return s.substr(1, s.size() - 2);
}

std::string format_day(local_day d) {
    json_writer w;
    w.day(d);
    auto s = w.str();
    return s.substr(1, s.size() - 2);
}

} // namespace salonq::engine::codec
