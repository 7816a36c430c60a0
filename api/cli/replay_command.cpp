#include "api/cli/replay_command.hpp"

#include "replay/report/reports.hpp"
#include "replay/run/kafka_scan.hpp"
#include "replay/run/scan.hpp"
#include "replay/write/csv_sink.hpp"
#include "replay/write/jsonl_sink.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>
#include <memory>

namespace salonq::api {
namespace {

// The file the rows go to: stdout, or a file created (0644) or truncated.
class output_file {
public:
    static std::expected<output_file, std::string> open(std::optional<std::string> const& path) {
        if (!path || *path == "-") {
            return output_file{STDOUT_FILENO, false};
        }
        int const fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            return std::unexpected(fmt::format("cannot write {}: {}", *path, std::strerror(errno)));
        }
        return output_file{fd, true};
    }
    output_file(output_file&& o) noexcept : fd_(std::exchange(o.fd_, -1)), owned_(o.owned_) {}
    output_file& operator=(output_file&&) = delete;
    output_file(output_file const&) = delete;
    output_file& operator=(output_file const&) = delete;
    ~output_file() {
        if (owned_ && fd_ >= 0) {
            ::close(fd_);
        }
    }
    [[nodiscard]] int fd() const noexcept { return fd_; }

private:
    output_file(int fd, bool owned) : fd_(fd), owned_(owned) {}
    int fd_;
    bool owned_;
};

std::unique_ptr<replay::sink> sink_for(replay_options const& ro, replay::output& out, replay::day_window days) {
    constexpr double ms_per_minute = 60'000;
    if (ro.report) {
        // A report is a table: CSV unless JSON lines were asked for.
        auto const f =
            ro.format_given && ro.format == "jsonl" ? replay::table_format::jsonl : replay::table_format::csv;
        // CLI11 let only the names parse_report knows through.
        auto const kind = replay::parse_report(*ro.report).value_or(replay::report_kind::daily);
        replay::report_settings settings{std::move(days)};
        if (ro.target_wait_min) {
            settings.target_wait_ms = std::llround(*ro.target_wait_min * ms_per_minute);
        }
        return std::make_unique<replay::report_sink>(kind, out, f, std::move(settings));
    }
    if (ro.format == "csv") {
        return std::make_unique<replay::csv_sink>(out);
    }
    return std::make_unique<replay::jsonl_sink>(out);
}

int fail(std::string const& message, int code = 1) {
    std::cerr << "salonq replay: " << message << "\n";
    return code;
}

} // namespace

CLI::App* add_replay_command(CLI::App& app, replay_options& ro) {
    auto* r = app.add_subcommand("replay", "Read the events log for analysis: JSON lines or CSV, filtered by salon, "
                                           "type, time or offset; reads only, never disturbs the engine");
    r->add_option("--salon", ro.salons, "Only this salon's entries (repeatable)");
    r->add_option("--type", ro.types, "Only entries of this type, e.g. ticket_issued (repeatable)");
    r->add_flag("--include-rejections", ro.include_rejections,
                "Also the recorded rejections (type command_rejected; left out by default)");
    r->add_option("--from", ro.from, "From this time on: 2026-11-29, 2026-11-29T09:30:00Z or ...+01:00");
    r->add_option("--to", ro.to, "Before this time (same forms)");
    r->add_option("--from-offset", ro.from_offsets, "Start at this offset: N (every partition) or P:N (repeatable)");
    r->add_option("--to-offset", ro.to_offsets, "Stop before this offset: N or P:N (repeatable)");
    r->add_option("--format", ro.format, "jsonl (the log's own JSON, one a line) or csv (columns in docs/replay.md)")
        ->check(CLI::IsMember({"jsonl", "csv"}))
        ->each([&ro](std::string const&) { ro.format_given = true; });
    std::vector<std::string> reports;
    for (auto const name : replay::report_names()) {
        reports.emplace_back(name);
    }
    r->add_option("--report", ro.report,
                  "Instead of the entries, a report (CSV, or JSON lines with --format jsonl): " +
                      fmt::format("{}", fmt::join(reports, ", ")))
        ->check(CLI::IsMember(reports));
    r->add_option("--target-wait", ro.target_wait_min,
                  "With --report staffing: the p90 wait in minutes no hour may exceed (default 15)")
        ->check(CLI::Range(1.0, 600.0));
    r->add_option("--output,-o", ro.output, "Write to this file instead of stdout");
    r->add_flag("--quiet,-q", ro.quiet, "No progress on stderr");
    return r;
}

namespace {

// The selection for a log of `partitions` partitions, or why not (the option named).
// A report folds every event of its salons (a salon's time zone and shifts come from before any window) and keeps
// the rows of the window's days: its selection is salons and offsets only, `days` the rows kept.
struct chosen_entries {
    replay::selection entries;
    replay::day_window days;
};

[[nodiscard]] std::expected<replay::selection, std::string> selection_of(replay_options const& ro,
                                                                         std::int32_t partitions);

[[nodiscard]] std::expected<chosen_entries, std::string> choose(replay_options const& ro, std::int32_t partitions) {
    if (ro.report && !ro.types.empty()) {
        return std::unexpected("--type: a report is computed from all of a salon's events; choose salons or a "
                               "--from/--to window of days");
    }
    if (ro.report && !ro.from_offsets.empty()) {
        // Read from an offset, a report would not see what came before it: the salon's registration (its time zone:
        // every local day and hour would be UTC's) and who was on duty. It was computed so, silently, until
        // session 36.
        return std::unexpected("--from-offset: a report folds each salon's events from its first (its time zone and "
                               "who is on duty come from there); narrow it with --salon or a --from/--to window of "
                               "days");
    }
    if (ro.target_wait_min && ro.report != "staffing") {
        return std::unexpected("--target-wait: only the staffing report has a target wait (--report staffing)");
    }
    auto asked = selection_of(ro, partitions);
    if (!asked || !ro.report) {
        return asked ? std::expected<chosen_entries, std::string>{chosen_entries{std::move(*asked), {}}}
                     : std::unexpected(asked.error());
    }
    auto whole = ro;
    whole.from.reset();
    whole.to.reset();
    auto entries = selection_of(whole, partitions);
    if (!entries) {
        return std::unexpected(entries.error());
    }
    // A bound given as a date names a local day (YYYY-MM-DD, ten characters); one with a time is an instant.
    auto const is_date = [](std::optional<std::string> const& given) { return given && given->size() == 10; };
    return chosen_entries{std::move(*entries), replay::day_window::of_times(asked->from_time(), is_date(ro.from),
                                                                            asked->to_time(), is_date(ro.to))};
}

[[nodiscard]] std::expected<replay::selection, std::string> selection_of(replay_options const& ro,
                                                                         std::int32_t partitions) {
    auto chosen = replay::selection_builder{}
                      .salons(ro.salons)
                      .types(ro.types)
                      .include_rejections(ro.include_rejections)
                      .from_time(ro.from)
                      .to_time(ro.to)
                      .from_offsets(ro.from_offsets)
                      .to_offsets(ro.to_offsets)
                      .build(partitions);
    if (!chosen) {
        return std::unexpected(fmt::format("{}: {}", chosen.error().option, chosen.error().message));
    }
    return *chosen;
}

// Says so on stderr (even with --quiet) when the selection matched no event: an empty output is a valid answer,
// but a misspelt salon id or a window on the wrong day should not look like a quiet salon.
void note_nothing_matched(replay_options const& ro) {
    auto const salons = ro.salons.empty() ? std::string{} : fmt::format(" of salon {}", fmt::join(ro.salons, ", "));
    auto const ranged = ro.from || ro.to || !ro.from_offsets.empty() || !ro.to_offsets.empty();
    auto const types = ro.types.empty() ? "" : " of the types asked";
    std::cerr << fmt::format("salonq replay: note: no event{}{} {}\n", salons, types,
                             ranged ? "in the range asked" : "in the log");
}

// Runs the scan into the output and finishes: the exit code.
int finish(std::expected<replay::scan_result, std::string> const& result, replay::sink& sink, replay::output& out,
           replay::progress& shown, replay_options const& ro) {
    if (!result) {
        return fail(result.error());
    }
    if (!sink.finish()) {
        return fail("writing the output failed: " + out.error());
    }
    shown.done(result->written, ro.report ? "folded into the report" : "written");
    auto const* report = dynamic_cast<replay::report_sink const*>(&sink);
    if (result->written == 0) {
        note_nothing_matched(ro);
    } else if (report != nullptr && report->rows() == 0) {
        std::cerr << "salonq replay: note: the report has no rows: its salons have no day in the range asked\n";
    }
    if (result->undecodable > 0) {
        return fail(fmt::format("{} entries did not decode and were skipped", result->undecodable));
    }
    return 0;
}

int run_replay_kafka(kafka_options const& ko, replay_options const& ro) {
    auto const settings = kafka_settings(ko);
    auto partitions = replay::events_partitions(settings);
    if (!partitions) {
        return fail(partitions.error());
    }
    auto chosen = choose(ro, *partitions);
    if (!chosen) {
        return fail(chosen.error(), 2);
    }
    auto file = output_file::open(ro.output);
    if (!file) {
        return fail(file.error(), 2);
    }
    replay::output out{file->fd()};
    auto const sink = sink_for(ro, out, chosen->days);
    replay::progress shown{replay::progress::for_stderr(ro.quiet), 0}; // the end is known only when reached
    auto const result = replay::scan_kafka(settings, chosen->entries, *sink, shown);
    return finish(result, *sink, out, shown, ro);
}

} // namespace

int run_replay(store_options const& so, kafka_options const& ko, replay_options const& ro) {
    if (!ko.brokers.empty()) {
        return run_replay_kafka(ko, ro);
    }
    auto view = open_view(so);
    if (!view) {
        return fail(view.error(), 2);
    }
    auto& log = (*view)->events();
    auto chosen = choose(ro, log.partition_count());
    if (!chosen) {
        return fail(chosen.error(), 2);
    }
    auto plan = replay::plan_scan(log, chosen->entries);
    if (!plan) {
        return fail(plan.error());
    }
    auto file = output_file::open(ro.output);
    if (!file) {
        return fail(file.error(), 2);
    }
    replay::output out{file->fd()};
    auto const sink = sink_for(ro, out, chosen->days);
    replay::progress shown{replay::progress::for_stderr(ro.quiet), plan->total()};
    auto const result = replay::scan(log, *plan, chosen->entries, *sink, shown);
    return finish(result, *sink, out, shown, ro);
}

} // namespace salonq::api
