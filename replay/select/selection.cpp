#include "replay/select/selection.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/domain/events.hpp"
#include "engine/log/partitioner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <utility>

namespace salonq::replay {
namespace {

constexpr std::string_view rejected_type = "command_rejected";

template <std::size_t... I>
std::vector<std::string_view> event_type_names(std::index_sequence<I...> /*alternatives*/) {
    return {engine::type_name(engine::event_body{std::in_place_index<I>})...};
}

std::optional<std::int64_t> whole_number(std::string_view s) {
    std::int64_t n = 0;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc{} || end != s.data() + s.size() || n < 0) {
        return std::nullopt;
    }
    return n;
}

// A time written with a fraction of other than three digits (Python's isoformat() writes six): in milliseconds, and
// whether digits past them were dropped (the instant is then rounded up: entries are stamped in milliseconds, so an
// entry at .123 is before .123456, for --from and --to alike).
struct in_millis {
    std::string text;
    bool dropped = false;
};

in_millis to_millis(std::string const& text) {
    constexpr std::size_t dot = 19; // 2026-11-29T09:30:00
    constexpr std::size_t most_digits = 9;
    if (text.size() <= dot || text[dot] != '.') {
        return {text};
    }
    auto end = dot + 1;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
        ++end;
    }
    auto const digits = end - dot - 1;
    if (digits == 0 || digits == 3 || digits > most_digits) {
        return {text};
    }
    auto fraction = text.substr(dot + 1, digits);
    bool const dropped = fraction.find_first_not_of('0', 3) != std::string::npos && digits > 3;
    fraction.resize(3, '0');
    return {text.substr(0, dot + 1) + fraction + text.substr(end), dropped};
}

// The instant a time names: the codec's form, a date (UTC midnight), or a time with an offset.
std::optional<engine::instant> instant_of(std::string const& text) {
    if (auto t = engine::codec::parse_time(text)) {
        return t;
    }
    if (auto d = engine::codec::parse_day(text)) {
        return engine::instant{std::chrono::days{*d}};
    }
    // With an offset: 2026-11-29T10:30:00+01:00 (or .250+01:00): the same clock reading in UTC, then moved back.
    if (text.size() < 25) {
        return std::nullopt;
    }
    auto const sign = text[text.size() - 6];
    auto const hh = whole_number(std::string_view{text}.substr(text.size() - 5, 2));
    auto const mm = whole_number(std::string_view{text}.substr(text.size() - 2, 2));
    auto const utc = engine::codec::parse_time(text.substr(0, text.size() - 6) + "Z");
    if ((sign != '+' && sign != '-') || text[text.size() - 3] != ':' || !hh || !mm || *hh > 23 || *mm > 59 || !utc) {
        return std::nullopt;
    }
    auto const offset = std::chrono::hours{*hh} + std::chrono::minutes{*mm};
    return sign == '+' ? *utc - offset : *utc + offset;
}

// A time as the analyst writes it, in the codec's form (so entries' `at` compare as text).
std::optional<std::string> normalized_time(std::string const& text) {
    auto const ms = to_millis(text);
    auto const t = instant_of(ms.text);
    if (!t) {
        return std::nullopt;
    }
    return engine::codec::format_time(ms.dropped ? *t + std::chrono::milliseconds{1} : *t);
}

} // namespace

std::vector<std::string_view> const& entry_types() {
    static auto const names = [] {
        auto v = event_type_names(std::make_index_sequence<std::variant_size_v<engine::event_body>>{});
        v.push_back(rejected_type);
        return v;
    }();
    return names;
}

std::vector<std::int32_t> selection::partitions(std::int32_t partition_count) const {
    std::vector<std::int32_t> out;
    if (salons_.empty()) {
        for (std::int32_t p = 0; p < partition_count; ++p) {
            out.push_back(p);
        }
        return out;
    }
    for (auto const& salon : salons_) {
        out.push_back(engine::log::partition_for(salon, partition_count));
    }
    std::ranges::sort(out);
    out.erase(std::ranges::unique(out).begin(), out.end());
    return out;
}

offset_range selection::range(std::int32_t partition) const {
    auto r = every_range_.value_or(offset_range{});
    if (auto it = ranges_.find(partition); it != ranges_.end()) {
        r.from = std::max(r.from, it->second.from);
        if (auto const narrower = it->second.to) {
            r.to = std::min(r.to.value_or(*narrower), *narrower);
        }
    }
    return r;
}

bool selection::filters() const noexcept {
    return !salons_.empty() || types_ || !include_rejections_ || from_time_ || to_time_;
}

bool selection::wants(envelope const& e) const {
    if (e.type == rejected_type ? !include_rejections_ : (types_ && !types_->contains(e.type))) {
        return false;
    }
    if (!salons_.empty() && !salons_.contains(std::string{e.salon})) {
        return false;
    }
    return (!from_time_ || e.at >= *from_time_) && (!to_time_ || e.at < *to_time_);
}

selection_builder& selection_builder::salons(std::vector<std::string> const& ids) {
    for (auto const& id : ids) {
        if (!engine::codec::is_valid_id(id)) {
            fail("--salon", fmt::format("'{}' is not a salon id ({})", id, engine::codec::id_rule));
        }
        s_.salons_.insert(id);
    }
    return *this;
}

selection_builder& selection_builder::types(std::vector<std::string> const& names) {
    auto const& known = entry_types();
    for (auto const& name : names) {
        if (std::ranges::find(known, name) == known.end()) {
            fail("--type", fmt::format("'{}' is not an entry type; one of: {}", name, fmt::join(known, ", ")));
        }
        if (!s_.types_) {
            s_.types_.emplace();
        }
        if (name == rejected_type) {
            s_.include_rejections_ = true;
        } else {
            s_.types_->insert(name);
        }
    }
    return *this;
}

selection_builder& selection_builder::include_rejections(bool yes) {
    s_.include_rejections_ = s_.include_rejections_ || yes;
    return *this;
}

selection_builder& selection_builder::from_time(std::optional<std::string> const& text) {
    if (text) {
        s_.from_time_ = normalized_time(*text);
        if (!s_.from_time_) {
            fail("--from", fmt::format("'{}' is not a time: 2026-11-29, 2026-11-29T09:30:00Z, "
                                       "2026-11-29T09:30:00.250Z or 2026-11-29T10:30:00+01:00",
                                       *text));
        }
    }
    return *this;
}

selection_builder& selection_builder::to_time(std::optional<std::string> const& text) {
    if (text) {
        s_.to_time_ = normalized_time(*text);
        if (!s_.to_time_) {
            fail("--to", fmt::format("'{}' is not a time: 2026-11-30, 2026-11-29T18:00:00Z, "
                                     "2026-11-29T18:00:00.250Z or 2026-11-29T19:00:00+01:00",
                                     *text));
        }
    }
    return *this;
}

selection_builder& selection_builder::from_offsets(std::vector<std::string> const& specs) {
    offsets(specs, "--from-offset", false);
    return *this;
}

selection_builder& selection_builder::to_offsets(std::vector<std::string> const& specs) {
    offsets(specs, "--to-offset", true);
    return *this;
}

void selection_builder::offsets(std::vector<std::string> const& specs, std::string const& option, bool to) {
    for (auto const& spec : specs) {
        auto const colon = spec.find(':');
        auto const partition = colon == std::string::npos ? std::optional<std::int64_t>{}
                                                          : whole_number(std::string_view{spec}.substr(0, colon));
        auto const offset = whole_number(colon == std::string::npos ? std::string_view{spec}
                                                                    : std::string_view{spec}.substr(colon + 1));
        if (!offset || (colon != std::string::npos && (!partition || *partition > 100'000))) {
            fail(option, fmt::format("'{}' is not OFFSET or PARTITION:OFFSET (whole numbers)", spec));
            continue;
        }
        auto& r = partition ? s_.ranges_[static_cast<std::int32_t>(*partition)]
                            : (s_.every_range_ ? *s_.every_range_ : s_.every_range_.emplace());
        if (to) {
            r.to = offset;
        } else {
            r.from = *offset;
        }
        if (partition) {
            partition_options_.emplace_back(static_cast<std::int32_t>(*partition), option);
        }
    }
}

void selection_builder::fail(std::string option, std::string message) {
    if (!error_) {
        error_ = selection_error{std::move(option), std::move(message)};
    }
}

std::expected<selection, selection_error> selection_builder::build(std::int32_t partition_count) {
    for (auto const& [p, option] : partition_options_) {
        if (p >= partition_count) {
            fail(option,
                 fmt::format("partition {} does not exist: the log has partitions 0 to {}", p, partition_count - 1));
        }
    }
    if (!error_ && s_.from_time_ && s_.to_time_ && *s_.to_time_ <= *s_.from_time_) {
        fail("--to", "must be after --from");
    }
    if (error_) {
        return std::unexpected(*error_);
    }
    return s_;
}

} // namespace salonq::replay
