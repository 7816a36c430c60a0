#include "engine/codec/json_reader.hpp"

#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace salonq::engine::codec {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string_view type_word(element_type t) {
    switch (t) {
    case element_type::ARRAY:
        return "an array";
    case element_type::OBJECT:
        return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
        return "a number";
    case element_type::STRING:
        return "a string";
    case element_type::BOOL:
        return "a boolean";
    case element_type::NULL_VALUE:
        return "null";
    }
    return "a value";
}

[[noreturn]] void wrong_type(std::string const& path, std::string_view expected, element e) {
    fail(errc::wrong_type, path, fmt::format("expected {}, got {}", expected, type_word(e.type())));
}

bool id_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
           ch == '.' || ch == ':' || ch == '@';
}

int digits(std::string_view s, std::size_t pos, std::size_t n, bool& ok) {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (i >= s.size() || s[i] < '0' || s[i] > '9') {
            ok = false;
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

std::optional<date::sys_days> parse_ymd(std::string_view s, bool& ok) {
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') {
        return std::nullopt;
    }
    int const y = digits(s, 0, 4, ok);
    int const m = digits(s, 5, 2, ok);
    int const d = digits(s, 8, 2, ok);
    if (!ok) {
        return std::nullopt;
    }
    date::year_month_day const ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                                   date::day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    return date::sys_days{ymd};
}

// RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool number_grammar(std::string_view t, bool& integral) {
    std::size_t i = 0;
    auto digits_from = [&](std::size_t start) {
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
            ++i;
        }
        return i > start;
    };
    if (i < t.size() && t[i] == '-') {
        ++i;
    }
    if (i < t.size() && t[i] == '0') {
        ++i;
    } else if (!digits_from(i)) {
        return false;
    }
    integral = true;
    if (i < t.size() && t[i] == '.') {
        integral = false;
        if (!digits_from(++i)) {
            return false;
        }
    }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        integral = false;
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
            ++i;
        }
        if (!digits_from(i)) {
            return false;
        }
    }
    return i == t.size();
}

// simdjson reports a malformed number and one too large for 64 bits alike (NUMBER_ERROR), and without a place.
// This walks the text up to the first such number to tell the two apart and to name the field. simdjson has
// already accepted everything before that number, so the walk can be lenient about the structure.
std::optional<error> locate_number_error(std::string_view s) {
    struct frame {
        std::string path;
        bool array = false;
        std::size_t index = 0;
        std::string key;
        bool expect_key = false;
    };
    std::vector<frame> stack;
    auto value_path = [&]() -> std::string {
        if (stack.empty()) {
            return "";
        }
        auto const& top = stack.back();
        if (top.array) {
            return fmt::format("{}[{}]", top.path, top.index);
        }
        return top.path.empty() ? top.key : fmt::format("{}.{}", top.path, top.key);
    };
    auto const is_delimiter = [](char ch) {
        return ch == ',' || ch == ']' || ch == '}' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
    };
    for (std::size_t i = 0; i < s.size();) {
        char const ch = s[i];
        if (ch == '{' || ch == '[') {
            stack.push_back(frame{value_path(), ch == '[', 0, "", ch == '{'});
            ++i;
        } else if (ch == '}' || ch == ']') {
            if (stack.empty()) {
                return std::nullopt;
            }
            stack.pop_back();
            ++i;
        } else if (ch == ',') {
            if (!stack.empty()) {
                ++stack.back().index;
                stack.back().expect_key = !stack.back().array;
            }
            ++i;
        } else if (ch == '"') {
            std::size_t j = i + 1;
            while (j < s.size() && s[j] != '"') {
                j += s[j] == '\\' ? 2 : 1;
            }
            if (!stack.empty() && stack.back().expect_key) {
                stack.back().key = std::string{s.substr(i + 1, std::min(j, s.size()) - i - 1)};
                stack.back().expect_key = false;
            }
            i = j + 1;
        } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
            std::size_t j = i;
            while (j < s.size() && !is_delimiter(s[j])) {
                ++j;
            }
            auto const text = s.substr(i, j - i);
            bool integral = false;
            if (!number_grammar(text, integral)) {
                return error{errc::malformed_json, "", fmt::format("malformed JSON: '{}' is not a number", text)};
            }
            if (integral) {
                std::int64_t as_signed = 0;
                std::uint64_t as_unsigned = 0;
                auto const* const begin = text.data(); // from_chars reads [begin, end): no terminator needed
                auto const* const end = begin + text.size();
                if (std::from_chars(begin, end, as_signed).ec != std::errc{} &&
                    (text.front() == '-' || std::from_chars(begin, end, as_unsigned).ec != std::errc{})) {
                    return error{errc::out_of_range, value_path(), "the number does not fit in 64 bits"};
                }
            } else if (std::isinf(std::strtod(std::string{text}.c_str(), nullptr))) {
                return error{errc::out_of_range, value_path(), "the number is too large"};
            }
            i = j;
        } else {
            ++i; // whitespace, ':' and the letters of true, false and null
        }
    }
    return std::nullopt;
}

} // namespace

constexpr std::array<std::string_view, 13> errc_names{
    "malformed_json", "invalid_utf8",        "too_large", "wrong_type",   "missing_field",
    "unknown_field",  "duplicate_field",     "too_long",  "out_of_range", "invalid_value",
    "unknown_type",   "unsupported_version", "wrong_key"};

std::string_view to_string(errc c) noexcept { return errc_names[std::to_underlying(c)]; }

std::optional<errc> parse_errc(std::string_view s) noexcept {
    for (std::size_t i = 0; i < errc_names.size(); ++i) {
        if (errc_names[i] == s) {
            return static_cast<errc>(i);
        }
    }
    return std::nullopt;
}

void fail(errc code, std::string path, std::string message) {
    throw decode_failure{error{code, std::move(path), std::move(message)}};
}

std::optional<instant> parse_time(std::string_view s) noexcept {
    // 2026-11-21T09:30:00Z or 2026-11-21T09:30:00.123Z (UTC only, as the engine writes it).
    bool ok = true;
    auto const day = parse_ymd(s, ok);
    if (!day || s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s.back() != 'Z') {
        return std::nullopt;
    }
    int const hh = digits(s, 11, 2, ok);
    int const mm = digits(s, 14, 2, ok);
    int const ss = digits(s, 17, 2, ok);
    int ms = 0;
    if (s.size() == 24 && s[19] == '.') {
        ms = digits(s, 20, 3, ok);
    } else if (s.size() != 20) {
        return std::nullopt;
    }
    if (!ok || hh > 23 || mm > 59 || ss > 59) {
        return std::nullopt;
    }
    return instant{*day} + std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss} +
           std::chrono::milliseconds{ms};
}

std::optional<local_day> parse_day(std::string_view s) noexcept {
    bool ok = true;
    if (s.size() != 10) {
        return std::nullopt;
    }
    auto const day = parse_ymd(s, ok);
    if (!day) {
        return std::nullopt;
    }
    return static_cast<local_day>(day->time_since_epoch().count());
}

element parse_document(std::string_view json, std::size_t max_size) {
    if (json.size() > max_size) {
        fail(errc::too_large, "", fmt::format("message is {} bytes, the limit is {}", json.size(), max_size));
    }
    if (json.empty()) {
        fail(errc::malformed_json, "", "the message is empty");
    }
    // Some Windows editors and .NET writers put one in front; simdjson would only call it "improper structure".
    if (json.starts_with("\xEF\xBB\xBF")) {
        fail(errc::malformed_json, "",
             "the message starts with a UTF-8 byte order mark (EF BB BF); send JSON without it");
    }
    thread_local simdjson::dom::parser parser;
    auto result = parser.parse(json.data(), json.size(), true);
    if (result.error() == simdjson::UTF8_ERROR) {
        fail(errc::invalid_utf8, "", "the message is not valid UTF-8");
    }
    if (result.error() == simdjson::NUMBER_ERROR) {
        if (auto located = locate_number_error(json)) {
            throw decode_failure{std::move(*located)};
        }
        fail(errc::out_of_range, "", "a number is out of range");
    }
    if (result.error()) {
        fail(errc::malformed_json, "", fmt::format("malformed JSON: {}", simdjson::error_message(result.error())));
    }
    return result.value_unsafe();
}

std::string_view as_string(element e, std::string const& path, std::size_t max_len) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) {
        wrong_type(path, "a string", e);
    }
    if (s.size() > max_len) {
        fail(errc::too_long, path, fmt::format("is {} bytes, the limit is {}", s.size(), max_len));
    }
    if (std::any_of(s.begin(), s.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20; })) {
        fail(errc::invalid_value, path, "control characters are not allowed");
    }
    return s;
}

std::string_view as_id(element e, std::string const& path) {
    auto const s = as_string(e, path, limits::id);
    if (!is_valid_id(s)) {
        fail(errc::invalid_value, path, std::string{id_rule});
    }
    return s;
}

bool is_valid_id(std::string_view s) noexcept {
    return !s.empty() && s.size() <= limits::id && std::all_of(s.begin(), s.end(), id_char);
}

std::int64_t as_integer(element e, std::string const& path, std::int64_t min, std::int64_t max) {
    std::int64_t v = 0;
    auto const type = e.type();
    if (type == element_type::UINT64) {
        fail(errc::out_of_range, path, fmt::format("must be between {} and {}", min, max));
    }
    if (type != element_type::INT64 || e.get_int64().get(v) != simdjson::SUCCESS) {
        wrong_type(path, "an integer", e);
    }
    if (v < min || v > max) {
        fail(errc::out_of_range, path, fmt::format("must be between {} and {}", min, max));
    }
    return v;
}

object_view as_object(element e, std::string path) { return object_view{e, std::move(path)}; }

object_view::object_view(element e, std::string path) : path_(std::move(path)) {
    simdjson::dom::object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) {
        wrong_type(path_, "an object", e);
    }
    for (auto [key, value] : obj) {
        if (std::any_of(fields_.begin(), fields_.end(), [&](field const& f) { return f.key == key; })) {
            fail(errc::duplicate_field, path_of(key), "the field appears twice");
        }
        fields_.push_back(field{key, value, false});
    }
}

std::string object_view::path_of(std::string_view key) const {
    return path_.empty() ? std::string{key} : fmt::format("{}.{}", path_, key);
}

object_view::field* object_view::find(std::string_view key) {
    auto it = std::find_if(fields_.begin(), fields_.end(), [&](field const& f) { return f.key == key; });
    if (it == fields_.end()) {
        return nullptr;
    }
    it->used = true;
    return &*it;
}

bool object_view::has(std::string_view key) const noexcept {
    return std::any_of(fields_.begin(), fields_.end(), [&](field const& f) { return f.key == key; });
}

element object_view::require(std::string_view key) {
    auto* f = find(key);
    if (f == nullptr) {
        fail(errc::missing_field, path_of(key), "is required");
    }
    return f->value;
}

std::string_view object_view::string(std::string_view key, std::size_t max_len) {
    return as_string(require(key), path_of(key), max_len);
}

std::optional<std::string_view> object_view::opt_string(std::string_view key, std::size_t max_len) {
    auto* f = find(key);
    return f ? std::optional{as_string(f->value, path_of(key), max_len)} : std::nullopt;
}

std::string_view object_view::id(std::string_view key) { return as_id(require(key), path_of(key)); }

std::optional<std::string_view> object_view::opt_id(std::string_view key) {
    auto* f = find(key);
    return f ? std::optional{as_id(f->value, path_of(key))} : std::nullopt;
}

std::int64_t object_view::integer(std::string_view key, std::int64_t min, std::int64_t max) {
    return as_integer(require(key), path_of(key), min, max);
}

std::optional<std::int64_t> object_view::opt_integer(std::string_view key, std::int64_t min, std::int64_t max) {
    auto* f = find(key);
    return f ? std::optional{as_integer(f->value, path_of(key), min, max)} : std::nullopt;
}

bool object_view::boolean(std::string_view key) {
    auto e = require(key);
    bool v = false;
    if (e.get_bool().get(v) != simdjson::SUCCESS) {
        wrong_type(path_of(key), "a boolean", e);
    }
    return v;
}

instant object_view::time(std::string_view key) {
    auto const s = string(key, 32);
    auto t = parse_time(s);
    if (!t) {
        fail(errc::invalid_value, path_of(key), "expected a UTC time like 2026-11-21T09:30:00.000Z");
    }
    return *t;
}

std::optional<instant> object_view::opt_time(std::string_view key) {
    return has(key) ? std::optional{time(key)} : std::nullopt;
}

local_day object_view::day(std::string_view key) {
    auto const s = string(key, 10);
    auto d = parse_day(s);
    if (!d) {
        fail(errc::invalid_value, path_of(key), "expected a date like 2026-11-21");
    }
    return *d;
}

object_view object_view::object(std::string_view key) { return object_view{require(key), path_of(key)}; }

std::optional<object_view> object_view::opt_object(std::string_view key) {
    auto* f = find(key);
    return f ? std::optional{object_view{f->value, path_of(key)}} : std::nullopt;
}

simdjson::dom::array object_view::array(std::string_view key, std::size_t max_items) {
    auto e = require(key);
    simdjson::dom::array arr;
    if (e.get_array().get(arr) != simdjson::SUCCESS) {
        wrong_type(path_of(key), "an array", e);
    }
    if (arr.size() > max_items) {
        fail(errc::too_long, path_of(key), fmt::format("has {} items, the limit is {}", arr.size(), max_items));
    }
    return arr;
}

std::optional<simdjson::dom::array> object_view::opt_array(std::string_view key, std::size_t max_items) {
    return has(key) ? std::optional{array(key, max_items)} : std::nullopt;
}

void object_view::finish() const {
    for (auto const& f : fields_) {
        if (!f.used) {
            fail(errc::unknown_field, path_of(f.key), "is not a known field");
        }
    }
}

} // namespace salonq::engine::codec
