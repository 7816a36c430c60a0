#pragma once

#include "projections/stats/history.hpp"
#include "replay/report/table.hpp"
#include "replay/write/sink.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace salonq::replay {

enum class report_kind : std::uint8_t { daily, hourly, staff, services, priority_audit, waits, staffing };
[[nodiscard]] std::optional<report_kind> parse_report(std::string_view name) noexcept;
[[nodiscard]] std::vector<std::string_view> report_names();

// Builds each selected salon's history from its events (rejections change nothing and are ignored), then writes
// one report as a table. Every figure comes from projections::stats, which the HTTP stats answer from too, so a
// report and a dashboard never disagree. Columns: docs/replay.md ("Reports").
// The days a report keeps (YYYY-MM-DD, the salons' local days): [first, last], each bound optional.
struct day_window {
    // A bound given as a date is a local day's name, the same in every zone; one given as a time is an instant, whose
    // local day depends on the salon's zone (at_first, at_last).
    std::optional<std::string> first;
    std::optional<std::string> last;
    std::optional<engine::instant> at_first;
    std::optional<engine::instant> at_last; // exclusive: the instant --to names
    // The local days that meet a --from/--to window (RFC 3339 UTC as the codec writes it; `*_is_date`: given as a
    // date): from its start day up to the day before `to` if `to` is a local midnight, else to `to`'s day.
    [[nodiscard]] static day_window of_times(std::optional<std::string> const& from, bool from_is_date,
                                             std::optional<std::string> const& to, bool to_is_date);
    [[nodiscard]] bool bounded() const noexcept { return first || last || at_first || at_last; }
    // The first and last local days kept in a salon of `timezone`.
    [[nodiscard]] std::optional<std::string> first_in(std::string_view timezone) const;
    [[nodiscard]] std::optional<std::string> last_in(std::string_view timezone) const;
    [[nodiscard]] bool holds(std::string_view day, std::string_view timezone) const;
};

// What shapes a report besides the histories: the days it keeps (the staffing report learns from those days
// instead: its rows are hours of a week) and the staffing report's target p90 wait.
struct report_settings {
    day_window days;
    std::int64_t target_wait_ms = 15 * 60'000;
};

class report_sink final : public sink {
public:
    report_sink(report_kind kind, output& out, table_format format, report_settings settings = {})
        : kind_(kind), out_(out), format_(format), settings_(std::move(settings)) {}
    [[nodiscard]] bool needs_entry() const noexcept override { return true; }
    void take(replayed const& r, engine::log_entry const* entry) override;
    [[nodiscard]] bool finish() override;
    // The rows finish() wrote (0 before it).
    [[nodiscard]] std::size_t rows() const noexcept { return rows_; }

private:
    std::size_t rows_ = 0;
    report_kind kind_;
    output& out_;
    table_format format_;
    report_settings settings_;
    std::map<std::string, projections::stats::salon_history> salons_;
};

// The report of these histories (in the map's salon order), for tests and the sink.
[[nodiscard]] table make_report(report_kind kind,
                                std::map<std::string, projections::stats::salon_history> const& salons,
                                report_settings const& settings = {});

} // namespace salonq::replay
