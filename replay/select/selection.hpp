#pragma once

#include "replay/select/envelope.hpp"

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::replay {

// Where a partition's replay starts and ends: [from, to) in offsets; to = none reads to the end the log had when
// the replay started.
struct offset_range {
    std::int64_t from = 0;
    std::optional<std::int64_t> to;
};

// What an analyst asked for: which entries, from where to where. Built from the command line by
// `selection_builder`, then read-only. Times are kept in the codec's own RFC 3339 form (UTC, milliseconds), so
// comparing an entry's `at` is comparing text.
class selection {
public:
    // The salons asked for (none: all).
    [[nodiscard]] std::set<std::string> const& salons() const noexcept { return salons_; }
    // The partitions that can hold what is asked for (a salon lives in one partition), in order.
    [[nodiscard]] std::vector<std::int32_t> partitions(std::int32_t partition_count) const;
    [[nodiscard]] offset_range range(std::int32_t partition) const;

    // Whether an entry with this envelope is wanted (the offset range is the reader's job).
    [[nodiscard]] bool wants(envelope const& e) const;
    // Whether wants() needs the envelope at all: false when every entry is wanted (the pass-through path).
    [[nodiscard]] bool filters() const noexcept;
    [[nodiscard]] bool includes_rejections() const noexcept { return include_rejections_; }
    // The time window as the codec writes times (RFC 3339 UTC, milliseconds), if one was asked for.
    [[nodiscard]] std::optional<std::string> const& from_time() const noexcept { return from_time_; }
    [[nodiscard]] std::optional<std::string> const& to_time() const noexcept { return to_time_; }

private:
    friend class selection_builder;

    std::set<std::string> salons_;
    std::optional<std::set<std::string, std::less<>>> types_; // none: every event type
    bool include_rejections_ = false;
    std::optional<std::string> from_time_; // inclusive
    std::optional<std::string> to_time_;   // exclusive
    std::map<std::int32_t, offset_range> ranges_;
    std::optional<offset_range> every_range_; // an offset range for every partition
};

// A refusal of what was asked, naming the option.
struct selection_error {
    std::string option;
    std::string message;
};

// Checks each option as it is added and builds the selection; the first wrong option is the error.
class selection_builder {
public:
    selection_builder& salons(std::vector<std::string> const& ids);
    selection_builder& types(std::vector<std::string> const& names);
    selection_builder& include_rejections(bool yes);
    // RFC 3339 (2026-11-29T09:30:00Z, fractions and offsets allowed) or a UTC date (2026-11-29 = its midnight).
    selection_builder& from_time(std::optional<std::string> const& text);
    selection_builder& to_time(std::optional<std::string> const& text);
    // "N" (every partition) or "P:N" (partition P), repeatable.
    selection_builder& from_offsets(std::vector<std::string> const& specs);
    selection_builder& to_offsets(std::vector<std::string> const& specs);

    [[nodiscard]] std::expected<selection, selection_error> build(std::int32_t partition_count);

private:
    void fail(std::string option, std::string message);
    void offsets(std::vector<std::string> const& specs, std::string const& option, bool to);

    selection s_;
    std::optional<selection_error> error_;
    std::vector<std::pair<std::int32_t, std::string>> partition_options_; // partitions named, to check the count
};

// The event types an entry's "type" may name (the codec's names), and the rejection's.
[[nodiscard]] std::vector<std::string_view> const& entry_types();

} // namespace salonq::replay
