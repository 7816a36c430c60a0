// replay_bench: `salonq replay` over an embedded log next to the limit measured in the same run, a raw RocksDB
// iteration of the same entries with nothing done to them (the data set is made by bench/replay_bench.sh).
//
//   raw         rocks_store::scan over the events family, bytes summed (the limit)
//   jsonl-all   the JSON lines pass-through (--include-rejections): no entry looked into (target >= 1,000,000/s)
//   jsonl       the default (events only): each entry's type peeked
//   salon       one salon (--salon): only its partition read, each entry's salon peeked
//   window      a one-day --from/--to window
//   csv         CSV: every entry decoded and flattened
// Each is run --runs times into /dev/null; the median is printed with its ratio to raw.

#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/log/keys.hpp"
#include "engine/runtime/embedded_view.hpp"
#include "replay/run/scan.hpp"
#include "replay/write/csv_sink.hpp"
#include "replay/write/jsonl_sink.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>

namespace {

using namespace salonq;
using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v) {
    std::ranges::sort(v);
    return v.empty() ? 0.0 : v[v.size() / 2];
}

// Entries a second of one way through the log, median of `runs`.
struct figure {
    double per_second = 0;
    std::uint64_t entries = 0;
};

figure measure(int runs, std::function<std::uint64_t()> const& once) {
    std::vector<double> rates;
    std::uint64_t entries = 0;
    for (int i = 0; i < runs; ++i) {
        auto const start = clock_type::now();
        entries = once();
        rates.push_back(static_cast<double>(entries) /
                        std::chrono::duration<double>(clock_type::now() - start).count());
    }
    return {median(rates), entries};
}

std::uint64_t raw_scan(engine::runtime::embedded_view const& view) {
    std::uint64_t entries = 0;
    std::uint64_t bytes = 0;
    for (std::int32_t p = 0; p < view.partition_count(); ++p) {
        auto const from = engine::log::partition_prefix(engine::partition_id{p});
        auto const to = engine::log::partition_prefix(engine::partition_id{p + 1});
        (void)view.db().scan(engine::store::family::events, from, to, [&](std::string_view, std::string_view v) {
            ++entries;
            bytes += v.size();
            return true;
        });
    }
    return bytes > 0 ? entries : 0;
}

std::uint64_t replayed(engine::runtime::embedded_view& view, int null_fd, replay::selection_builder builder, bool csv) {
    auto& log = view.events();
    auto s = builder.build(log.partition_count());
    if (!s) {
        throw std::runtime_error(s.error().message);
    }
    auto plan = replay::plan_scan(log, *s);
    replay::output out{null_fd};
    std::unique_ptr<replay::sink> sink;
    if (csv) {
        sink = std::make_unique<replay::csv_sink>(out);
    } else {
        sink = std::make_unique<replay::jsonl_sink>(out);
    }
    replay::progress quiet{replay::progress::style::quiet, plan->total()};
    auto result = replay::scan(log, *plan, *s, *sink, quiet);
    if (!result || !sink->finish()) {
        throw std::runtime_error("the replay failed");
    }
    return result->read;
}

// A salon and a day in the middle of the log, for the salon and window figures.
std::pair<std::string, std::string> sample(engine::runtime::embedded_view& view) {
    auto& log = view.events();
    for (std::int32_t p = 0; p < log.partition_count(); ++p) {
        auto end = log.end_offset(engine::partition_id{p});
        if (end && end->value() > 0) {
            auto records = log.read(engine::partition_id{p}, engine::offset_t{end->value() / 2}, 1);
            replay::envelope_reader reader;
            if (auto e = reader.peek(records->front().value)) {
                return {std::string{e->salon}, std::string{e->at.substr(0, 10)}};
            }
        }
    }
    throw std::runtime_error("the log is empty");
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"replay_bench: salonq replay next to a raw RocksDB scan of the same log"};
    std::string data;
    int runs = 5;
    app.add_option("--data", data, "A salonq data directory (bench/replay_bench.sh makes one)")->required();
    app.add_option("--runs", runs, "Runs of each figure (the median is printed)");
    CLI11_PARSE(app, argc, argv);

    auto view = engine::runtime::embedded_view::open(data);
    if (!view) {
        fmt::print(stderr, "replay_bench: {}\n", view.error().message);
        return 1;
    }
    int const null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    auto const [salon, day] = sample(**view);
    auto const midnight = engine::codec::parse_day(day).value_or(0);
    auto const next_day = engine::codec::format_time(engine::instant{std::chrono::days{midnight + 1}}).substr(0, 10);
    auto const raw = measure(runs, [&] { return raw_scan(**view); });
    fmt::print("replay_bench: {} entries, {} runs each, median\n", raw.entries, runs);
    fmt::print("  {:<10} {:>12} {:>12} {:>8}\n", "", "entries", "entries/s", "of raw");
    auto row = [&](std::string_view name, figure f) {
        fmt::print("  {:<10} {:>12} {:>12.0f} {:>7.0f}%\n", name, f.entries, f.per_second,
                   100.0 * f.per_second / raw.per_second);
    };
    row("raw", raw);
    auto run = [&](replay::selection_builder b, bool csv) {
        return measure(runs, [&] { return replayed(**view, null_fd, b, csv); });
    };
    row("jsonl-all", run(std::move(replay::selection_builder{}.include_rejections(true)), false));
    row("jsonl", run(replay::selection_builder{}, false));
    row("salon", run(std::move(replay::selection_builder{}.salons({salon})), false));
    row("window", run(std::move(replay::selection_builder{}.from_time(day).to_time(next_day)), false));
    row("csv", run(std::move(replay::selection_builder{}.include_rejections(true)), true));
    ::close(null_fd);
    return 0;
}
