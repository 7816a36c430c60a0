// kafka_bench: Kafka mode against a real local broker (bench/kafka_bench.sh starts one), next to the raw limit
// measured in the same run:
//   1. raw librdkafka: produce (idempotent, acks=all) + consume (read_committed) of the same messages;
//   2. the engine with exactly-once on: commands produced as fast as possible until each outcome is visible
//      to a read_committed consumer: throughput and produce-to-visible latency;
//   3. the same at half the engine's maximum rate: latency p50/p99 (target p99 <= 25 ms);
//   2b, 3b. the exactly-once limit: a transactional relay that decides nothing (bench/eos_relay.hpp), at its
//      maximum rate and at the engine's half-max rate;
//   4. restore: a worker with no local state takes over every partition and folds all events (events/s).

#include "engine/codec/command_codec.hpp"
#include "engine/codec/json_reader.hpp"
#include "engine/kafka/admin.hpp"
#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/worker.hpp"
#include "engine/sim/day_simulator.hpp"
#include "engine/sim/memory_executor.hpp"

#include "bench/eos_relay.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <pthread.h>
#include <sstream>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>

namespace {

using namespace salonq::engine;
namespace lk = kafka;
using clock_type = std::chrono::steady_clock;

struct message {
    std::string key;
    std::string value;
    std::string command_id;
};

std::vector<message> make_stream(std::int32_t salons, std::string const& prefix, std::uint64_t seed) {
    sim::sim_options options;
    options.salons = salons;
    options.salon_prefix = prefix;
    options.seed = seed;
    sim::day_simulator simulator{options};
    sim::memory_executor memory;
    std::vector<message> out;
    (void)simulator.run([&](std::vector<command> const& batch) {
        for (auto const& c : batch) {
            auto json = codec::encode_command(c);
            auto const at = json.find(",\"receivedAt\":");
            json.erase(at, json.find(',', at + 1) - at);
            out.push_back(message{c.salon.value(), std::move(json), c.id.value()});
        }
        return memory(batch);
    });
    return out;
}

// The exactly-once relay's topics (bench/eos_relay.hpp), created with the raw topic next to salonq's.
constexpr char const* relay_in = "salonq.bench.relay.in";
constexpr char const* relay_out = "salonq.bench.relay.out";

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

// CPU use over a phase: of the whole machine (all cores, /proc/stat) and of this process (getrusage).
struct cpu_sample {
    std::uint64_t total = 0;
    std::uint64_t idle = 0;
    double process_seconds = 0;

    static cpu_sample now() {
        cpu_sample c;
        std::ifstream stat{"/proc/stat"};
        std::string cpu;
        std::uint64_t v = 0;
        stat >> cpu;
        for (int i = 0; i < 8 && stat >> v; ++i) {
            c.total += v;
            if (i == 3 || i == 4) { // idle, iowait
                c.idle += v;
            }
        }
        rusage u{};
        getrusage(RUSAGE_SELF, &u);
        c.process_seconds = static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
                            static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
        return c;
    }
};

// CPU seconds used so far by this process's threads named `prefix`* (the worker's: salonq-decide, salonq-commit,
// salonq-store), from /proc/self/task/*/stat: what a stage costs, apart from the time it waits for a core.
double threads_cpu_seconds(std::string_view prefix) {
    double total = 0;
    static auto const ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    for (auto const& task : std::filesystem::directory_iterator{"/proc/self/task"}) {
        std::ifstream comm_file{task.path() / "comm"};
        std::string comm;
        std::getline(comm_file, comm);
        if (!comm.starts_with(prefix)) {
            continue;
        }
        std::ifstream stat_file{task.path() / "stat"};
        std::string stat;
        std::getline(stat_file, stat);
        std::istringstream fields{stat.substr(stat.rfind(')') + 2)}; // after "pid (comm) "
        std::string skip;
        for (int i = 3; i < 14; ++i) {
            fields >> skip;
        }
        double utime = 0, stime = 0;
        fields >> utime >> stime;
        total += (utime + stime) / ticks;
    }
    return total;
}

struct worker_cpu {
    double decide = 0, commit = 0, store = 0;
    static worker_cpu now() {
        return {threads_cpu_seconds("salonq-decide"), threads_cpu_seconds("salonq-commit"),
                threads_cpu_seconds("salonq-store")};
    }
};

struct figures {
    double rate = 0;
    double machine_busy = 0;  // share of all cores busy during the phase
    double process_cores = 0; // cores this process (clients and engine) used on average
    worker_cpu worker_us;     // CPU of the worker's threads per message, microseconds
    double p50 = 0, p99 = 0;
    double to_decided_p50 = 0; // produce -> decided by the engine (ms), engine outcomes only
    double to_visible_p50 = 0; // decided -> visible to a read_committed consumer (ms)
};

figures summarise(std::vector<std::int64_t> latency, double seconds) {
    std::sort(latency.begin(), latency.end());
    figures f;
    f.rate = static_cast<double>(latency.size()) / seconds;
    f.p50 = latency.empty() ? 0 : ms(latency[latency.size() / 2]);
    f.p99 = latency.empty() ? 0 : ms(latency[latency.size() * 99 / 100]);
    return f;
}

// Produces `stream` to `out_topic` (at most `rate` messages/s if rate > 0) while a read_committed consumer on
// `in_topic` waits for one message per input; each arrival is matched to its send time by `match`. Latency counts
// only the messages sent after `settle` (the steady state of a paced run, not its ramp-up from idle).
template <typename Match>
figures pipeline(lk::settings const& s, std::vector<message> const& stream, char const* out_topic, char const* in_topic,
                 std::int32_t partitions, double rate, Match match,
                 std::chrono::milliseconds settle = std::chrono::milliseconds{0}) {
    auto producer = lk::make_client(s, RD_KAFKA_PRODUCER,
                                    {{"enable.idempotence", "true"},
                                     {"acks", "all"},
                                     {"linger.ms", "1"},
                                     {"partitioner", "murmur2_random"},
                                     {"queue.buffering.max.messages", "1000000"}})
                        .value();
    auto consumer = lk::make_client(s, RD_KAFKA_CONSUMER,
                                    {{"group.id", "salonq-bench"},
                                     {"isolation.level", "read_committed"},
                                     {"enable.auto.commit", "false"},
                                     {"fetch.wait.max.ms", "100"}})
                        .value();
    // Start the consumer at the current end of every partition.
    lk::detail::partition_list_ptr list{rd_kafka_topic_partition_list_new(partitions)};
    for (std::int32_t p = 0; p < partitions; ++p) {
        std::int64_t low = 0, high = 0;
        (void)rd_kafka_query_watermark_offsets(consumer.get(), in_topic, p, &low, &high, 10000);
        rd_kafka_topic_partition_list_add(list.get(), in_topic, p)->offset = high;
    }
    (void)rd_kafka_assign(consumer.get(), list.get());
    // Warm both clients up before timing: a fresh producer spends ~1 s on metadata, connections and its
    // idempotent producer id, which would otherwise land on the first second of every measurement.
    std::string const warm = "warm-up";
    (void)rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(out_topic), RD_KAFKA_V_PARTITION(0),
                            RD_KAFKA_V_VALUE(const_cast<char*>(warm.data()), warm.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_flush(producer.get(), 30000);
    for (auto const until = clock_type::now() + std::chrono::milliseconds{500}; clock_type::now() < until;) {
        lk::detail::message_ptr m{rd_kafka_consumer_poll(consumer.get(), 50)};
    }

    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < stream.size(); ++i) {
        index.emplace(stream[i].command_id, i);
    }
    std::vector<clock_type::time_point> sent(stream.size());
    std::vector<std::int64_t> sent_wall(stream.size()); // system clock, ms: to compare with the events' "at"
    std::vector<std::int64_t> latency;
    latency.reserve(stream.size());
    std::size_t arrived = 0;
    auto const start = clock_type::now(); // the pacing's origin (the reader starts just below)
    std::vector<std::int64_t> to_decided; // produce -> the engine's receive time ("at"), ms
    std::vector<std::int64_t> to_visible; // the engine's receive time -> visible read_committed, ms
    std::atomic<bool> done{false};
    std::thread reader([&] {
        std::vector<bool> seen(stream.size());
        while (arrived < stream.size()) {
            lk::detail::message_ptr m{rd_kafka_consumer_poll(consumer.get(), 100)};
            if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                continue;
            }
            auto const i = match(std::string_view{static_cast<char const*>(m->payload), m->len}, index);
            if (i < stream.size() && !seen[i]) {
                seen[i] = true;
                ++arrived;
                if (sent[i] < start + settle) {
                    continue;
                }
                latency.push_back(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - sent[i]).count());
                auto const value = std::string_view{static_cast<char const*>(m->payload), m->len};
                if (auto const at = value.find("\"at\":\""); at != std::string_view::npos) {
                    if (auto t = codec::parse_time(value.substr(at + 6, 24))) {
                        auto const now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count();
                        to_decided.push_back(to_unix_ms(*t) - sent_wall[i]);
                        to_visible.push_back(now_ms - to_unix_ms(*t));
                    }
                }
            }
        }
        done = true;
    });
    auto const cpu_before = cpu_sample::now();
    auto const worker_before = worker_cpu::now();
    for (std::size_t i = 0; i < stream.size(); ++i) {
        if (rate > 0) {
            // Paced in steps of at least 0.5 ms: a sleep per message would cost the machine tens of thousands
            // of wake-ups a second at the rates measured, CPU the broker and the engine share.
            auto const due =
                start + std::chrono::nanoseconds{static_cast<std::int64_t>(1e9 * static_cast<double>(i) / rate)};
            if (due - clock_type::now() > std::chrono::microseconds{500}) {
                std::this_thread::sleep_until(due);
            }
        }
        auto const& m = stream[i];
        sent[i] = clock_type::now();
        sent_wall[i] =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        while (rd_kafka_producev(
                   producer.get(), RD_KAFKA_V_TOPIC(out_topic), RD_KAFKA_V_KEY(m.key.data(), m.key.size()),
                   RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
                   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(producer.get(), 1);
        }
        rd_kafka_poll(producer.get(), 0);
    }
    rd_kafka_flush(producer.get(), 60000);
    reader.join();
    auto const seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    auto const cpu_after = cpu_sample::now();
    auto f = summarise(std::move(latency), seconds);
    f.rate = static_cast<double>(arrived) / seconds;
    f.machine_busy = 1.0 - static_cast<double>(cpu_after.idle - cpu_before.idle) /
                               static_cast<double>(std::max<std::uint64_t>(1, cpu_after.total - cpu_before.total));
    f.process_cores = (cpu_after.process_seconds - cpu_before.process_seconds) / seconds;
    auto const worker_after = worker_cpu::now();
    auto const per_message = 1e6 / static_cast<double>(std::max<std::size_t>(1, stream.size()));
    f.worker_us = {(worker_after.decide - worker_before.decide) * per_message,
                   (worker_after.commit - worker_before.commit) * per_message,
                   (worker_after.store - worker_before.store) * per_message};
    auto mid = [](std::vector<std::int64_t> v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? 0.0 : static_cast<double>(v[v.size() / 2]);
    };
    f.to_decided_p50 = mid(to_decided);
    f.to_visible_p50 = mid(to_visible);
    return f;
}

figures median_by_rate(std::vector<figures> runs) {
    std::sort(runs.begin(), runs.end(), [](figures const& a, figures const& b) { return a.rate < b.rate; });
    return runs[runs.size() / 2];
}

std::size_t match_command_id(std::string_view value, std::unordered_map<std::string, std::size_t> const& index) {
    auto const at = value.find("\"commandId\":\"");
    if (at == std::string_view::npos) {
        return SIZE_MAX;
    }
    auto const from = at + 13;
    auto it = index.find(std::string{value.substr(from, value.find('"', from) - from)});
    return it == index.end() ? SIZE_MAX : it->second;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"kafka_bench - salonq in Kafka mode next to raw librdkafka, against a local broker"};
    std::string brokers;
    std::int32_t salons = 500;
    std::string dir = "/tmp/salonq-kafka-bench";
    app.add_option("--brokers", brokers, "Bootstrap servers (bench/kafka_bench.sh starts a broker)")->required();
    app.add_option("--salons", salons, "Salons in the simulated day (about 185 commands each)");
    app.add_option("--dir", dir, "Scratch directory for the workers' RocksDB");
    int workers = 1;
    app.add_option("--workers", workers, "Engine workers (in this process, one consumer group)")
        ->check(CLI::Range(1, 12));
    std::size_t max_batch = kafka::worker_options{}.max_batch;
    app.add_option("--max-batch", max_batch, "Most commands in one transaction");
    int commit_interval_ms = static_cast<int>(kafka::worker_options{}.commit_interval.count());
    app.add_option("--commit-interval-ms", commit_interval_ms, "How long a batch may wait to fill");
    std::uint64_t snapshot_every = kafka::worker_options{}.snapshot_every;
    app.add_option("--snapshot-every", snapshot_every, "Events per partition between snapshot rounds (0: none)");
    int rounds = 5;
    app.add_option("--rounds", rounds, "Raw and engine max-rate runs, alternating (medians reported)")
        ->check(CLI::Range(1, 100));
    bool engine_only = false;
    app.add_flag("--engine-only", engine_only, "Only the engine's rounds (to profile the worker)");
    bool relay_only = false;
    app.add_flag("--relay-only", relay_only, "Only the exactly-once relay's rounds (the platform's limit)")
        ->excludes("--engine-only");
    double engine_rate = 0;
    app.add_option("--rate", engine_rate,
                   "With --engine-only or --relay-only: commands/s offered (0: as fast as possible)");
    int latency_seconds = 20;
    app.add_option("--latency-seconds", latency_seconds,
                   "Length of the paced runs (half max, and --engine-only --rate); the first 3 s are not measured")
        ->check(CLI::Range(5, 600));
    CLI11_PARSE(app, argc, argv);

    lk::settings s;
    s.brokers = brokers;
    auto const partitions = lk::check_layout(lk::describe_topics(s).value()).value();
    for (char const* topic : {"salonq.bench.raw", relay_in, relay_out}) {
        if (auto ok = lk::create_topic(s, topic, partitions, 1); !ok) {
            fmt::print(stderr, "{}\n", ok.error().message);
            return 1;
        }
    }
    auto const stream = make_stream(salons, "bench", 1);
    std::size_t bytes = 0;
    for (auto const& m : stream) {
        bytes += m.value.size();
    }
    fmt::print("stream: {} commands, {} salons, {} partitions, {:.0f} bytes/command\n\n", stream.size(), salons,
               partitions, static_cast<double>(bytes) / static_cast<double>(stream.size()));
    // A paced run lasts `seconds` at `rate`: enough salons for that many commands. Its first seconds (the
    // pipeline ramping up from idle, batches growing) are left out of the latency figures.
    auto const per_salon = static_cast<double>(stream.size()) / static_cast<double>(salons);
    auto salons_for = [&](double rate, int seconds) {
        return std::max(1, static_cast<std::int32_t>(std::ceil(rate * seconds / per_salon)));
    };
    constexpr auto settle = std::chrono::seconds{3};

    std::filesystem::remove_all(dir);
    kafka::worker_options options;
    options.kafka = s;
    options.data = std::filesystem::path{dir} / "w1";
    options.instance = "bench-w1";
    options.snapshot_every = snapshot_every;
    options.max_batch = max_batch;
    options.commit_interval = std::chrono::milliseconds{commit_interval_ms};
    std::vector<std::unique_ptr<kafka::worker>> engines;
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
        auto o = options;
        o.data = std::filesystem::path{dir} / fmt::format("w1-{}", w);
        o.instance = fmt::format("bench-w1-{}", w);
        engines.push_back(kafka::worker::open(o).value());
        threads.emplace_back([e = engines.back().get()] {
            pthread_setname_np(pthread_self(), "salonq-decide");
            (void)e->run();
        });
    }
    auto stop_all = [&] {
        for (auto& e : engines) {
            e->stop();
        }
        for (auto& t : threads) {
            t.join();
        }
    };
    // Every worker has an assignment (it took over partitions) and the group has settled.
    for (auto const& e : engines) {
        while (e->stats().recovery_us.load() == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
    }
    std::optional<salonq::bench::eos_relay> relay;
    if (!engine_only) {
        relay.emplace(s, relay_in, relay_out, options.commit_interval, options.max_batch);
    }
    std::this_thread::sleep_for(std::chrono::seconds{2});
    // Warm-up of the broker (its JIT compiles the produce, fetch and transaction paths during the first tens of
    // thousands of messages: measured cold, it spent a third of the machine's CPU compiling) and of the workers.
    for (int w = 0; w < 2; ++w) {
        (void)pipeline(s, make_stream(std::max(1, salons / 2), fmt::format("warmraw{}", w), 3), "salonq.bench.raw",
                       "salonq.bench.raw", partitions, 0, match_command_id);
        (void)pipeline(s, make_stream(std::max(1, salons / 2), fmt::format("warm{}", w), 3), lk::commands_topic,
                       lk::events_topic, partitions, 0, match_command_id);
        if (relay) {
            (void)pipeline(s, make_stream(std::max(1, salons / 2), fmt::format("warmrelay{}", w), 3), relay_in,
                           relay_out, partitions, 0, match_command_id);
        }
    }
    fmt::print("engine workers: {}; max batch {} commands, commit interval {} ms\n", workers, max_batch,
               commit_interval_ms);

    // The workers' own accounting over every phase so far (warm-up included): per transaction and per command.
    struct engine_totals {
        std::uint64_t transactions = 0, commands = 0, aborts = 0, duplicates = 0, snapshots = 0;
        std::int64_t decide_us = 0, commit_us = 0, store_us = 0;
    };
    auto print_engine_costs = [&engines] {
        engine_totals t;
        for (auto const& e : engines) {
            auto const& st = e->stats();
            t.transactions += st.transactions.load();
            t.commands += st.commands.load();
            t.aborts += st.aborts.load();
            t.duplicates += st.duplicates.load();
            t.snapshots += st.snapshots_written.load();
            t.decide_us += st.decide_us.load();
            t.commit_us += st.commit_us.load();
            t.store_us += st.store_us.load();
        }
        auto const txns = static_cast<double>(std::max<std::uint64_t>(1, t.transactions));
        auto const cmds = static_cast<double>(std::max<std::uint64_t>(1, t.commands));
        fmt::print("  transactions {}, {:.0f} commands per transaction, aborts {}; per transaction: decide+produce "
                   "{:.1f} ms, offsets+commit {:.1f} ms, RocksDB {:.1f} ms; per command: deciding {:.2f} us, RocksDB "
                   "{:.2f} us\n",
                   t.transactions, static_cast<double>(t.commands) / txns, t.aborts,
                   static_cast<double>(t.decide_us) / txns / 1000.0, static_cast<double>(t.commit_us) / txns / 1000.0,
                   static_cast<double>(t.store_us) / txns / 1000.0, static_cast<double>(t.decide_us) / cmds,
                   static_cast<double>(t.store_us) / cmds);
        return t;
    };

    // Raw and engine alternate, so that both see the same machine; the medians are reported.
    std::vector<figures> raws;
    std::vector<figures> relays;
    std::vector<figures> fulls;
    char const* only_in = relay_only ? relay_in : lk::commands_topic;
    char const* only_out = relay_only ? relay_out : lk::events_topic;
    for (int r = 0; r < rounds && (engine_only || relay_only); ++r) {
        auto const paced = engine_rate > 0;
        auto const commands = make_stream(paced ? salons_for(engine_rate, latency_seconds) : salons,
                                          fmt::format("only{}", r), 30 + static_cast<std::uint64_t>(r));
        auto const* what = relay_only ? "relay" : "engine";
        fmt::print("{} round {}: {} commands ...\n", what, r + 1, commands.size());
        std::fflush(stdout);
        auto const f = pipeline(s, commands, only_in, only_out, partitions, engine_rate, match_command_id,
                                paced ? settle : std::chrono::seconds{0});
        fmt::print("{} round {}: {:>8.0f} commands/s; p50 {:.1f} ms, p99 {:.1f} ms; split p50 {:.0f} / {:.0f} ms; "
                   "machine busy {:.0f}%, this process {:.2f} cores\n",
                   what, r + 1, f.rate, f.p50, f.p99, f.to_decided_p50, f.to_visible_p50, 100.0 * f.machine_busy,
                   f.process_cores);
        if (!relay_only) {
            fmt::print("  worker CPU per command: deciding {:.1f} us, committing {:.1f} us, RocksDB {:.1f} us\n",
                       f.worker_us.decide, f.worker_us.commit, f.worker_us.store);
        }
    }
    if (engine_only || relay_only) {
        (void)print_engine_costs();
        stop_all();
        return 0;
    }
    for (int r = 0; r < rounds; ++r) {
        raws.push_back(pipeline(s, stream, "salonq.bench.raw", "salonq.bench.raw", partitions, 0, match_command_id));
        relays.push_back(pipeline(s, make_stream(salons, fmt::format("relay{}", r), 20 + static_cast<std::uint64_t>(r)),
                                  relay_in, relay_out, partitions, 0, match_command_id));
        fulls.push_back(pipeline(s, make_stream(salons, fmt::format("round{}", r), 10 + static_cast<std::uint64_t>(r)),
                                 lk::commands_topic, lk::events_topic, partitions, 0, match_command_id));
        fmt::print(
            "round {}: raw {:>8.0f} msgs/s, relay {:>8.0f} msgs/s ({:.0f}%), engine {:>8.0f} commands/s ({:.0f}% "
            "of raw, {:.0f}% of relay); engine produce-to-visible p50 {:.1f} ms, p99 {:.1f} ms; machine busy raw "
            "{:.0f}% / relay {:.0f}% / engine {:.0f}%, this process {:.2f} / {:.2f} / {:.2f} cores\n",
            r + 1, raws.back().rate, relays.back().rate, 100.0 * relays.back().rate / raws.back().rate,
            fulls.back().rate, 100.0 * fulls.back().rate / raws.back().rate,
            100.0 * fulls.back().rate / relays.back().rate, fulls.back().p50, fulls.back().p99,
            100.0 * raws.back().machine_busy, 100.0 * relays.back().machine_busy, 100.0 * fulls.back().machine_busy,
            raws.back().process_cores, relays.back().process_cores, fulls.back().process_cores);
    }
    auto const raw = median_by_rate(raws);
    auto const relay_max = median_by_rate(relays);
    auto const full = median_by_rate(fulls);
    fmt::print(
        "raw librdkafka produce+consume (read_committed), median: {:>8.0f} msgs/s; latency p50 {:.1f} ms, p99 {:.1f} "
        "ms\n",
        raw.rate, raw.p50, raw.p99);
    fmt::print("engine, exactly-once, max rate, median:   {:>8.0f} commands/s; produce-to-visible p50 {:.1f} ms, "
               "p99 {:.1f} ms  ({:.0f}% of raw, target >= 50%)\n",
               full.rate, full.p50, full.p99, 100.0 * full.rate / raw.rate);
    fmt::print("  worker CPU per command (that round): deciding {:.1f} us, committing {:.1f} us, RocksDB {:.1f} us\n",
               full.worker_us.decide, full.worker_us.commit, full.worker_us.store);
    fmt::print("exactly-once relay (no engine), max rate, median: {:>8.0f} msgs/s ({:.0f}% of raw; the engine reaches "
               "{:.0f}% of it)\n",
               relay_max.rate, 100.0 * relay_max.rate / raw.rate, 100.0 * full.rate / relay_max.rate);
    auto const half =
        pipeline(s, make_stream(salons_for(full.rate / 2, latency_seconds), "half", 2), lk::commands_topic,
                 lk::events_topic, partitions, full.rate / 2, match_command_id, settle);
    fmt::print("engine, exactly-once, at half max ({:>6.0f}/s for {} s, the first 3 s not measured): {:>8.0f} "
               "commands/s; produce-to-visible p50 {:.1f} ms, p99 {:.1f} ms  (target p99 <= 25 ms)\n",
               full.rate / 2, latency_seconds, half.rate, half.p50, half.p99);
    auto const relay_half = pipeline(s, make_stream(salons_for(full.rate / 2, latency_seconds), "relayhalf", 6),
                                     relay_in, relay_out, partitions, full.rate / 2, match_command_id, settle);
    fmt::print(
        "exactly-once relay at the same rate ({:>6.0f}/s):    {:>8.0f} msgs/s; produce-to-visible p50 {:.1f} ms, "
        "p99 {:.1f} ms\n",
        full.rate / 2, relay_half.rate, relay_half.p50, relay_half.p99);
    auto const light_salons = salons_for(500, 10);
    auto const raw_light = pipeline(s, make_stream(light_salons, "rawlight", 5), "salonq.bench.raw", "salonq.bench.raw",
                                    partitions, 500, match_command_id, std::chrono::seconds{1});
    fmt::print(
        "raw produce+consume, light load (500/s, 10 s):       {:>8.0f} msgs/s; latency p50 {:.1f} ms, p99 {:.1f} ms\n",
        raw_light.rate, raw_light.p50, raw_light.p99);
    auto const relay_light = pipeline(s, make_stream(light_salons, "relaylight", 7), relay_in, relay_out, partitions,
                                      500, match_command_id, std::chrono::seconds{1});
    fmt::print("exactly-once relay, light load (500/s, 10 s):   {:>8.0f} msgs/s; produce-to-visible p50 {:.1f} ms, "
               "p99 {:.1f} ms\n",
               relay_light.rate, relay_light.p50, relay_light.p99);
    auto const light = pipeline(s, make_stream(light_salons, "light", 4), lk::commands_topic, lk::events_topic,
                                partitions, 500, match_command_id, std::chrono::seconds{1});
    fmt::print(
        "engine, exactly-once, light load (500/s, 10 s):      {:>8.0f} commands/s; produce-to-visible p50 {:.1f} ms, "
        "p99 {:.1f} ms\n",
        light.rate, light.p50, light.p99);
    for (auto const* f : {&full, &half, &light}) {
        fmt::print("  split (p50): produce -> decided {:.0f} ms, decided -> visible {:.0f} ms\n", f->to_decided_p50,
                   f->to_visible_p50);
    }
    auto const totals = print_engine_costs();
    stop_all();
    std::uint64_t const full_history = totals.commands - totals.duplicates;
    fmt::print("  snapshots written: {}\n", totals.snapshots);
    engines.clear();

    // Restore: a worker without local state takes over every partition, from scratch (folding every event) and
    // from the latest snapshot rounds (folding only what follows them, with the commandIds of the 7-day dedupe
    // window from the rounds' dedupe chunks, and reading back only the events no chunk covers).
    int kind_index = 2;
    for (bool const from_snapshots : {false, true}) {
        options.data = std::filesystem::path{dir} / fmt::format("w{}", kind_index);
        options.instance = fmt::format("bench-w{}", kind_index++);
        options.restore_from_snapshots = from_snapshots;
        options.snapshot_every = 0;
        auto restorer = kafka::worker::open(options).value();
        std::thread restoring([&] { (void)restorer->run(); });
        auto const& rs = restorer->stats();
        while (rs.recovery_us.load() == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
        std::this_thread::sleep_for(std::chrono::seconds{2}); // the assignment may come in more than one callback
        auto const seconds = static_cast<double>(rs.recovery_us.load()) / 1e6;
        fmt::print("restore {}: {} snapshots + {} events folded in {:.2f} s = {:.0f} events/s of history",
                   from_snapshots ? "from snapshots" : "from scratch  ", rs.snapshots_restored.load(),
                   rs.recovered_events.load(), seconds, static_cast<double>(full_history) / seconds);
        if (from_snapshots) {
            fmt::print("; {} commandIds from dedupe chunks, {} events read back for theirs", rs.dedupe_restored.load(),
                       rs.dedupe_events_read.load());
        }
        fmt::print("\n");
        restorer->stop();
        restoring.join();
    }
    std::filesystem::remove_all(dir);
    return 0;
}
