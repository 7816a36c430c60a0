// engine_bench: the engine's speed next to the limits it is built on, measured in the same run.
//
//   1. decide + evolve in memory, one core (target >= 1,000,000 commands/s);
//   2. the embedded engine end to end (append + decide + fold + persist, one WriteBatch per group commit),
//      throughput and submit-to-acknowledge latency p50/p99/p99.9, with durability sync and relaxed;
//   3. the raw limit: the engine's own WriteBatches (same keys, bytes and batch boundaries) replayed straight
//      into a fresh RocksDB with the same sync setting (target: embedded >= 50% of raw).
// The command stream is a realistic simulated day (engine/sim) for --salons salons.

#include "engine/domain/decide.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/sim/day_simulator.hpp"
#include "engine/sim/memory_executor.hpp"
#include "engine/store/rocks_store.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unordered_map>

namespace {

using namespace salonq::engine;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

double percentile(std::vector<std::int64_t>& sorted_ns, double p) {
    if (sorted_ns.empty()) {
        return 0.0;
    }
    auto const idx = static_cast<std::size_t>(p * static_cast<double>(sorted_ns.size() - 1));
    return static_cast<double>(sorted_ns[idx]) / 1e6;
}

std::string cpu_model() {
    std::ifstream in{"/proc/cpuinfo"};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("model name", 0) == 0) {
            return line.substr(line.find(':') + 2);
        }
    }
    return "unknown";
}

std::vector<command> make_stream(std::int32_t salons) {
    sim::sim_options options;
    options.salons = salons;
    options.seed = 2026;
    sim::day_simulator simulator{options};
    sim::memory_executor memory;
    std::vector<command> stream;
    (void)simulator.run([&](std::vector<command> const& batch) {
        stream.insert(stream.end(), batch.begin(), batch.end());
        return memory(batch);
    });
    return stream;
}

double in_memory_rate(std::vector<command> const& stream) {
    std::unordered_map<std::string, salon_state> states;
    std::uint64_t events = 0;
    auto const start = clock_type::now();
    for (auto const& c : stream) {
        auto& s = states[c.salon.value()];
        auto decided = decide(s, c);
        if (decided) {
            for (auto const& e : *decided) {
                evolve(s, e);
                ++events;
            }
        }
    }
    auto const rate = static_cast<double>(stream.size()) / seconds_since(start);
    if (events == 0) {
        fmt::print("  (no events?)\n");
    }
    return rate;
}

struct engine_result {
    std::vector<std::string> batches; // every WriteBatch the engine wrote, serialized
    double rate = 0;
    double p50 = 0, p99 = 0, p999 = 0;
    double bytes_per_command = 0;
    double commands_per_batch = 0;
};

int workers = 1;

engine_result run_engine(std::vector<command> const& stream, std::filesystem::path const& dir, runtime::durability mode,
                         std::size_t in_flight) {
    std::filesystem::remove_all(dir);
    runtime::engine_options options;
    options.mode = mode;
    options.workers = workers;
    engine_result r;
    std::mutex batches_mutex; // workers call back from their own threads
    options.on_batch_written = [&r, &batches_mutex](std::string_view data) {
        std::lock_guard lock{batches_mutex};
        r.batches.emplace_back(data);
    };
    auto engine = runtime::embedded_engine::open(dir, options).value();
    std::vector<std::int64_t> latency(stream.size());
    std::atomic<std::size_t> completed{0};
    std::mutex m;
    std::condition_variable cv;
    auto const start = clock_type::now();
    for (std::size_t i = 0; i < stream.size(); ++i) {
        if (i - completed.load(std::memory_order_acquire) >= in_flight) {
            std::unique_lock lock{m};
            cv.wait(lock, [&] { return i - completed.load(std::memory_order_acquire) < in_flight; });
        }
        auto const sent = clock_type::now();
        engine->submit(stream[i], [&, i, sent](std::expected<runtime::outcome, runtime::error> done) {
            latency[i] = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - sent).count();
            if (!done) {
                fmt::print(stderr, "engine error: {}\n", done.error().message);
                std::abort();
            }
            completed.fetch_add(1, std::memory_order_acq_rel);
            std::lock_guard lock{m};
            cv.notify_all();
        });
    }
    {
        std::unique_lock lock{m};
        cv.wait(lock, [&] { return completed.load() == stream.size(); });
    }
    r.rate = static_cast<double>(stream.size()) / seconds_since(start);
    std::sort(latency.begin(), latency.end());
    r.p50 = percentile(latency, 0.50);
    r.p99 = percentile(latency, 0.99);
    r.p999 = percentile(latency, 0.999);
    r.bytes_per_command = static_cast<double>(engine->committed_bytes()) / static_cast<double>(stream.size());
    r.commands_per_batch = static_cast<double>(stream.size()) / static_cast<double>(engine->committed_batches());
    return r;
}

// The limit: the very WriteBatches the engine wrote (same keys, same bytes, same batch boundaries), replayed
// straight into a fresh RocksDB with the same options and the same sync setting, back to back.
double run_raw(std::size_t commands, std::vector<std::string> const& batches, std::filesystem::path const& dir,
               bool sync) {
    std::filesystem::remove_all(dir);
    auto db = store::rocks_store::open(dir).value();
    auto const start = clock_type::now();
    for (auto const& b : batches) {
        if (!db->write_serialized(b, sync)) {
            std::abort();
        }
    }
    return static_cast<double>(commands) / seconds_since(start);
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"engine_bench - salonq engine throughput and latency next to raw RocksDB"};
    std::int32_t salons = 2000;
    int repeat = 5;
    std::size_t in_flight = 8192;
    std::string dir = "/tmp/salonq-bench";
    app.add_option("--salons", salons, "Salons in the simulated day (about 185 commands each)");
    app.add_option("--repeat", repeat, "Runs of each measurement (the median is reported)");
    app.add_option("--in-flight", in_flight, "Commands submitted and not yet acknowledged, at most");
    app.add_option("--workers", workers, "Engine worker threads");
    app.add_option("--dir", dir, "Scratch directory for the databases (removed afterwards)");
    CLI11_PARSE(app, argc, argv);

    fmt::print("machine: {} cores, {}\n", std::thread::hardware_concurrency(), cpu_model());
    auto const stream = make_stream(salons);
    fmt::print("stream: {} commands, {} salons, one simulated day; engine workers: {}\n\n", stream.size(), salons,
               workers);

    std::vector<double> rates;
    rates.reserve(static_cast<std::size_t>(repeat));
    for (int i = 0; i < repeat; ++i) {
        rates.push_back(in_memory_rate(stream));
    }
    fmt::print("decide+evolve in memory, 1 core: median {:>12.0f} commands/s  (target >= 1,000,000)\n\n",
               median(rates));

    for (auto mode : {runtime::durability::sync, runtime::durability::relaxed}) {
        bool const sync = mode == runtime::durability::sync;
        std::vector<double> engine_rates, raw_rates, p50s, p99s, p999s;
        engine_result last;
        for (int i = 0; i < repeat; ++i) {
            last = run_engine(stream, std::filesystem::path{dir} / "engine", mode, in_flight);
            engine_rates.push_back(last.rate);
            p50s.push_back(last.p50);
            p99s.push_back(last.p99);
            p999s.push_back(last.p999);
            raw_rates.push_back(run_raw(stream.size(), last.batches, std::filesystem::path{dir} / "raw", sync));
            last.batches.clear();
        }
        auto const engine_rate = median(engine_rates);
        auto const raw_rate = median(raw_rates);
        fmt::print("durability {}:\n", sync ? "sync (ack after fsync)" : "relaxed (no fsync)");
        fmt::print("  embedded engine end to end: median {:>10.0f} commands/s; latency p50 {:.2f} ms, p99 {:.2f} ms, "
                   "p99.9 {:.2f} ms ({} in flight)\n",
                   engine_rate, median(p50s), median(p99s), median(p999s), in_flight);
        fmt::print("  raw RocksDB, same batches:  median {:>10.0f} commands/s  ({:.0f} bytes/command, {:.0f} "
                   "commands/batch)\n",
                   raw_rate, last.bytes_per_command, last.commands_per_batch);
        fmt::print("  engine / raw = {:.0f}%  (target >= 50%)\n", 100.0 * engine_rate / raw_rate);

        // Latency when not saturated: a few terminals at a time (group commit still batches them).
        std::vector<command> const head(
            stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(stream.size(), 20000)));
        for (std::size_t clients : {std::size_t{1}, std::size_t{16}}) {
            std::vector<double> rate, a, b, c;
            for (int i = 0; i < repeat; ++i) {
                auto r = run_engine(head, std::filesystem::path{dir} / "engine", mode, clients);
                rate.push_back(r.rate);
                a.push_back(r.p50);
                b.push_back(r.p99);
                c.push_back(r.p999);
            }
            fmt::print(
                "  {:>2} in flight: {:>8.0f} commands/s; latency p50 {:.2f} ms, p99 {:.2f} ms, p99.9 {:.2f} ms\n",
                clients, median(rate), median(a), median(b), median(c));
        }
        fmt::print("\n");
    }
    std::filesystem::remove_all(dir);
    return 0;
}
