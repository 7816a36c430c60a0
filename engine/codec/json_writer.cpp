#include "engine/codec/json_writer.hpp"

#include <date/date.h>

namespace salonq::engine::codec {
namespace {

void append(fmt::memory_buffer& buf, std::string_view s) { buf.append(s.data(), s.data() + s.size()); }

void append_escaped(fmt::memory_buffer& buf, std::string_view s) {
    buf.push_back('"');
    std::size_t run = 0; // start of the current run of characters that need no escape
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto const ch = static_cast<unsigned char>(s[i]);
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            continue;
        }
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
    fmt::format_to(std::back_inserter(buf_), "{}", v);
    return *this;
}

json_writer& json_writer::number(std::uint64_t v) {
    separate();
    fmt::format_to(std::back_inserter(buf_), "{}", v);
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
    fmt::format_to(std::back_inserter(buf_), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                   static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                   hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
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
