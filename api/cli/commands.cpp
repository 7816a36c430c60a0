#include "api/cli/commands.hpp"

#include "api/cli/outcome_json.hpp"
#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/json_writer.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/kafka/kafka.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/logging/logger.hpp"
#include "engine/runtime/embedded_view.hpp"

#include "engine/runtime/verify.hpp"
#include "engine/sim/day_simulator.hpp"
#include "engine/sim/memory_executor.hpp"
#include <csignal>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>

namespace salonq::api {
namespace {

using namespace salonq::engine;
namespace logging = salonq::logging;

std::string summary_line(sim::sim_summary const& s, double seconds) {
    auto const avg_wait_min =
        s.started ? static_cast<double>(s.total_wait_ms) / static_cast<double>(s.started) / 60000.0 : 0.0;
    std::string rejections;
    for (auto const& [code, n] : s.rejections) {
        rejections += fmt::format("{}{}={}", rejections.empty() ? "" : " ", code, n);
    }
    std::string events;
    for (auto const& [type, n] : s.events) {
        events += fmt::format("  {:<18} {}\n", type, n);
    }
    return fmt::format("commands {} (accepted {}, rejected {}) in {:.2f} s = {:.0f} commands/s\n"
                       "average wait before service: {:.1f} min over {} services\n"
                       "rejections: {}\nevents:\n{}",
                       s.commands, s.accepted, s.rejected, seconds,
                       seconds > 0 ? static_cast<double>(s.commands) / seconds : 0.0, avg_wait_min, s.started,
                       rejections.empty() ? "none" : rejections, events);
}

// Runs each simulator batch through the engine: submit all, wait for all.
sim::executor engine_executor(runtime::embedded_engine& engine, bool& failed) {
    return [&engine, &failed](std::vector<command> const& batch) {
        std::vector<std::vector<log_entry>> results(batch.size());
        std::mutex m;
        std::condition_variable done;
        std::size_t remaining = batch.size();
        for (std::size_t i = 0; i < batch.size(); ++i) {
            engine.submit(batch[i], [&, i](std::expected<runtime::outcome, runtime::error> r) {
                std::lock_guard lock{m};
                if (r) {
                    results[i] = std::move(r->entries);
                } else {
                    failed = true;
                    std::cerr << "salonq: " << r.error().message << "\n";
                }
                if (--remaining == 0) {
                    done.notify_one();
                }
            });
        }
        std::unique_lock lock{m};
        done.wait(lock, [&] { return remaining == 0; });
        return results;
    };
}

} // namespace

std::filesystem::path default_data_dir() {
    if (char const* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && xdg[0] == '/') {
        return std::filesystem::path{xdg} / "salonq";
    }
    if (char const* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
        return std::filesystem::path{home} / ".local" / "share" / "salonq";
    }
    return "/var/lib/salonq"; // a service without a home
}

runtime::engine_options engine_options_of(store_options const& so) {
    runtime::engine_options options;
    options.partitions = so.partitions;
    options.workers = so.workers;
    options.mode = so.durability == "relaxed" ? runtime::durability::relaxed : runtime::durability::sync;
    options.state_checkpoint_interval = std::chrono::milliseconds{so.state_checkpoint_ms};
    options.state_checkpoint_bytes_per_command = so.state_checkpoint_bytes;
    return options;
}

std::expected<std::unique_ptr<runtime::embedded_engine>, std::string> open_engine(store_options const& so) {
    auto engine = runtime::embedded_engine::open(so.data, engine_options_of(so));
    if (!engine) {
        return std::unexpected(fmt::format("cannot open {}: {}", so.data.string(), engine.error().message));
    }
    return std::move(*engine);
}

// events, state and verify read a view of the log: no lock, so they work while submit, simulate or demo runs in
// another process, and nothing is created where there is no log (a mistyped --data is an error).
std::expected<std::unique_ptr<runtime::embedded_view>, std::string> open_view(store_options const& so) {
    auto view = runtime::embedded_view::open(so.data);
    if (!view) {
        return std::unexpected(fmt::format("no log to read: {}; check --data or SALONQ_DATA", view.error().message));
    }
    return std::move(*view);
}

int run_events(store_options const& so, events_options const& eo) {
    auto view = open_view(so);
    if (!view) {
        std::cerr << "salonq events: " << view.error() << "\n";
        return 2;
    }
    auto& log = (*view)->events();
    std::uint64_t printed = 0;
    bool const filtering = eo.salon || eo.from_seq > 0 || !eo.include_rejections;
    // A salon's entries all live on its partition.
    auto const only =
        eo.salon ? std::optional{engine::log::partition_for(*eo.salon, log.partition_count())} : eo.partition;
    for (std::int32_t p = 0; p < log.partition_count(); ++p) {
        if (only && *only != p) {
            continue;
        }
        offset_t from{0};
        for (;;) {
            auto records = log.read(partition_id{p}, from, 4096);
            if (!records) {
                std::cerr << "salonq events: " << records.error().message << "\n";
                return 1;
            }
            if (records->empty()) {
                break;
            }
            for (auto const& r : *records) {
                from = offset_t{r.offset.value() + 1};
                if (filtering) {
                    auto entry = codec::decode_entry(r.value);
                    if (!entry) {
                        std::cerr << "salonq events: undecodable entry at " << p << "/" << r.offset.value() << "\n";
                        return 1;
                    }
                    bool keep = std::visit(
                        [&](auto const& e) {
                            using T = std::decay_t<decltype(e)>;
                            if (eo.salon && e.salon.value() != *eo.salon) {
                                return false;
                            }
                            if constexpr (std::is_same_v<T, event>) {
                                return e.seq.value() >= eo.from_seq;
                            } else {
                                return eo.include_rejections && e.at_seq.value() >= eo.from_seq;
                            }
                        },
                        *entry);
                    if (!keep) {
                        continue;
                    }
                }
                std::fwrite(r.value.data(), 1, r.value.size(), stdout);
                std::fputc('\n', stdout);
                if (eo.limit > 0 && ++printed >= eo.limit) {
                    return 0;
                }
            }
        }
    }
    return 0;
}

int run_state(store_options const& so, std::string const& salon) {
    auto view = open_view(so);
    if (!view) {
        std::cerr << "salonq state: " << view.error() << "\n";
        return 2;
    }
    auto state = (*view)->state(salon_id{salon});
    if (!state) {
        std::cerr << "salonq state: " << state.error().message << "\n";
        return 1;
    }
    auto const& found = *state;
    if (!found) {
        std::cerr << "salonq state: salon " << salon << " is not registered\n";
        return 1;
    }
    std::cout << codec::encode_state(*found) << "\n";
    return 0;
}

int run_verify(store_options const& so) {
    auto view = open_view(so);
    if (!view) {
        std::cerr << "salonq verify: " << view.error() << "\n";
        return 2;
    }
    auto report = runtime::verify((*view)->db(), (*view)->partition_count());
    if (!report) {
        std::cerr << "salonq verify: " << report.error().message << "\n";
        return 1;
    }
    std::cout << fmt::format("salons {}  commands {}  log entries {} (events {}, rejections {})\n", report->salons,
                             report->commands, report->entries, report->events, report->rejections);
    if (!report->ok()) {
        for (auto const& p : report->problems) {
            std::cout << "PROBLEM " << p << "\n";
        }
        std::cout << "verify: FAILED\n";
        return 1;
    }
    std::cout
        << "verify: ok - every stored state equals the fold of its events; seqs gapless; one outcome per command\n";
    return 0;
}

int run_simulate(store_options const& so, simulate_options const& opts) {
    sim::sim_options options;
    options.salons = opts.salons;
    options.days = opts.days;
    options.seed = opts.seed;
    options.load = opts.load;
    options.weekly = opts.weekly;
    options.salon_prefix = opts.prefix;
    sim::day_simulator simulator{options};
    auto const started = std::chrono::steady_clock::now();
    sim::sim_summary summary;

    if (opts.emit) {
        // Dry run through the pure domain, writing the commands as a client would send them.
        std::ofstream out{*opts.emit};
        if (!out) {
            std::cerr << "salonq simulate: cannot write " << opts.emit->string() << "\n";
            return 2;
        }
        sim::memory_executor memory;
        summary = simulator.run([&](std::vector<command> const& batch) {
            for (auto const& c : batch) {
                out << codec::encode_client_command(c) << '\n';
            }
            return memory(batch);
        });
    } else {
        auto engine = open_engine(so);
        if (!engine) {
            std::cerr << "salonq simulate: " << engine.error() << "\n";
            return 2;
        }
        bool failed = false;
        summary = simulator.run(engine_executor(**engine, failed));
        if (failed) {
            return 1;
        }
    }
    auto const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << fmt::format("simulated {} salon{} x {} day{}{}\n", opts.salons, opts.salons == 1 ? "" : "s", opts.days,
                             opts.days == 1 ? "" : "s", opts.emit ? " (dry run)" : "");
    std::cout << (opts.quiet ? summary_line(summary, seconds).substr(0, summary_line(summary, seconds).find('\n') + 1)
                             : summary_line(summary, seconds));
    return 0;
}

namespace {

// Every salon registered in the log has a stored state.
[[nodiscard]] std::expected<std::uint64_t, std::string> count_salons(store::rocks_store const& db) {
    std::uint64_t n = 0;
    auto scanned = db.scan(store::family::state, "", "", [&n](std::string_view, std::string_view) {
        ++n;
        return true;
    });
    if (!scanned) {
        return std::unexpected(scanned.error().message);
    }
    return n;
}

// What the demo did, and what the log holds now: a second run adds salons to the first run's, and verify (which
// ops/run.sh runs next) counts them all.
void print_demo_header(store_options const& so, sim::sim_options const& options, std::uint64_t before,
                       std::uint64_t after) {
    std::cout << fmt::format("salonq demo: {} new salons ({}-0001 to -{:04}), one simulated day, through the embedded "
                             "engine at {}\n",
                             options.salons, options.salon_prefix, options.salons, so.data.string());
    if (before == 0) {
        std::cout << fmt::format("the log there is new and holds these {} salons\n\n", after);
    } else {
        std::cout << fmt::format("the log there already had {} salons from earlier runs and now holds {}\n\n", before,
                                 after);
    }
}

void print_demo_salon(runtime::embedded_engine& engine, store_options const& so, std::string const& salon) {
    auto state = engine.state(salon_id{salon});
    if (auto const* found = state ? &*state : nullptr; found && *found) {
        auto const& s = **found;
        std::cout << fmt::format("salon {} ({}, {}): seq {}, {} active tickets, {} staff\n", s.id.value(), s.name,
                                 s.timezone, s.seq.value(), s.tickets.size(), s.staff.size());
    }
    std::cout << "\nTry:  build/salonq --data " << so.data.string() << " state " << salon << "\n"
              << "      build/salonq --data " << so.data.string() << " events --salon " << salon << " --limit 20\n"
              << "      build/salonq --data " << so.data.string() << " verify\n";
}

} // namespace

int run_demo(store_options const& so) {
    auto engine = open_engine(so);
    if (!engine) {
        std::cerr << "salonq demo: " << engine.error() << "\n";
        return 2;
    }
    auto const before = count_salons((*engine)->db());
    if (!before) {
        std::cerr << "salonq demo: " << before.error() << "\n";
        return 1;
    }
    // Each run opens new salons (and so new commandIds): a second run is a new demo, not a replay of
    // the first one's commands, which would all be answered as duplicates.
    auto const now = std::chrono::system_clock::now().time_since_epoch();
    sim::sim_options options;
    options.salons = 3;
    options.salon_prefix = fmt::format("demo{}", std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
    options.seed = static_cast<std::uint64_t>(now.count());
    sim::day_simulator simulator{options};
    bool failed = false;
    auto const started = std::chrono::steady_clock::now();
    auto summary = simulator.run(engine_executor(**engine, failed));
    auto const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (auto written = (*engine)->checkpoint(); !written) { // the new salons' states are in the store from here on
        std::cerr << "salonq demo: " << written.error().message << "\n";
        return 1;
    }
    auto const after = count_salons((*engine)->db());
    if (failed || !after) {
        return 1;
    }
    print_demo_header(so, options, *before, *after);
    std::cout << summary_line(summary, seconds) << "\n";
    print_demo_salon(**engine, so, options.salon_prefix + "-0001");
    return 0;
}

// The cluster settings from the command line: brokers, plus librdkafka properties (KEY=VALUE, checked by the
// command line parser) passed through.
engine::kafka::settings kafka_settings(kafka_options const& ko) {
    engine::kafka::settings s;
    s.brokers = ko.brokers;
    for (auto const& p : ko.properties) {
        auto const eq = p.find('=');
        s.extra.insert_or_assign(p.substr(0, eq), p.substr(eq + 1));
    }
    return s;
}

namespace {

void print_layout(engine::kafka::topic_layout const& l) {
    auto show = [](char const* name, std::optional<std::int32_t> n) {
        std::cout << fmt::format("{:<18} {}\n", name, n ? fmt::format("{} partitions", *n) : std::string{"missing"});
    };
    show(engine::kafka::commands_topic, l.commands);
    show(engine::kafka::events_topic, l.events);
    show(engine::kafka::snapshots_topic, l.snapshots);
    show(engine::kafka::notifications_topic, l.notifications);
    if (l.events_retention_ms) {
        std::cout << fmt::format("{:<18} {}\n", "events retention",
                                 *l.events_retention_ms < 0
                                     ? std::string{"forever"}
                                     : fmt::format("{:g} hours", static_cast<double>(*l.events_retention_ms) / 3.6e6));
    }
    if (l.snapshots_max_message_bytes) {
        std::cout << fmt::format("{:<18} up to {} bytes\n", "snapshot records", *l.snapshots_max_message_bytes);
    }
}

} // namespace

int run_topics_create(kafka_options const& ko) {
    // The events of the dedupe window (7 days) must stay readable, and so must those after the oldest snapshot
    // round a restore may start from (serve's --snapshot-max-age-seconds, 1 h by default).
    constexpr std::int32_t shortest_retention_hours = 7 * 24 + 1;
    if (ko.events_retention_hours > 0 && ko.events_retention_hours < shortest_retention_hours) {
        std::cerr << fmt::format("salonq topics create: --events-retention-hours {} is shorter than the 7-day dedupe "
                                 "window plus the snapshots' age: at least {} (or 0, forever)\n",
                                 ko.events_retention_hours, shortest_retention_hours);
        return 2;
    }
    auto const s = kafka_settings(ko);
    auto layout = engine::kafka::ensure_topics(s, ko.partitions, static_cast<std::int16_t>(ko.replication),
                                               std::chrono::hours{ko.events_retention_hours});
    if (!layout) {
        std::cerr << "salonq topics create: " << layout.error().message << "\n";
        return 1;
    }
    // The api role's: revocations and notification settings (compacted, one partition, read whole by every
    // instance) and the notifications (one partition per events partition: a notification goes where its event is).
    auto const replication = static_cast<std::int16_t>(ko.replication);
    auto made = engine::kafka::create_topic(s, engine::kafka::revocations_topic, 1, replication, true);
    if (made) {
        made = engine::kafka::create_topic(s, engine::kafka::notify_settings_topic, 1, replication, true);
    }
    if (made) {
        made = engine::kafka::create_topic(s, engine::kafka::notifications_topic,
                                           layout->events.value_or(ko.partitions), replication);
    }
    if (!made) {
        std::cerr << "salonq topics create: " << made.error().message << "\n";
        return 1;
    }
    if (auto made_all = engine::kafka::describe_topics(s); made_all) {
        layout->notifications = made_all->notifications; // made after the layout was read
    }
    print_layout(*layout);
    auto const asked = ko.events_retention_hours > 0 ? std::int64_t{ko.events_retention_hours} * 3'600'000 : -1;
    if (auto const& retention = layout->events_retention_ms; retention && *retention != asked) {
        std::cerr << fmt::format("salonq topics create: {} already exists with another retention, left as it is\n",
                                 engine::kafka::events_topic);
    }
    return 0;
}

int run_topics_describe(kafka_options const& ko) {
    auto const s = kafka_settings(ko);
    auto layout = engine::kafka::describe_topics(s);
    if (!layout) {
        std::cerr << "salonq topics describe: " << layout.error().message << "\n";
        return 1;
    }
    print_layout(*layout);
    if (auto ok = engine::kafka::check_layout(*layout); !ok) {
        std::cerr << "salonq topics describe: " << ok.error().message << "\n";
        return 1;
    }
    if (auto fits = engine::kafka::check_snapshot_record_limit(*layout); !fits) {
        std::cerr << "salonq topics describe: " << fits.error().message << "\n";
        return 1;
    }
    if (auto const told = layout->notifications; told && told != layout->events) {
        std::cerr << fmt::format("salonq topics describe: {} has {} partitions and {} {}: the api role's notifier "
                                 "refuses to start\n",
                                 engine::kafka::notifications_topic, told.value_or(0), engine::kafka::events_topic,
                                 layout->events.value_or(0));
        return 1;
    }
    return 0;
}

namespace {
std::atomic<bool> stop_requested{false};
std::atomic<engine::kafka::worker*> serving{nullptr};
extern "C" void stop_serving(int) {
    stop_requested.store(true);
    if (auto* e = serving.load()) {
        e->stop();
    }
}
} // namespace

namespace {

// The worker's counters, as fields of one line (tests and operators read them by name).
void log_stopped(logging::logger const& log, engine::kafka::worker_stats const& st) {
    auto const ms = [](std::atomic<std::int64_t> const& us) { return us.load() < 0 ? -1 : us.load() / 1000; };
    auto const n = [](auto const& counter) { return static_cast<std::int64_t>(counter.load()); };
    log.log(logging::level::info,
            {logging::kv("commands", n(st.commands)), logging::kv("duplicates", n(st.duplicates)),
             logging::kv("transactions", n(st.transactions)), logging::kv("aborts", n(st.aborts)),
             logging::kv("events_recovered", n(st.recovered_events)),
             logging::kv("snapshots_restored", n(st.snapshots_restored)),
             logging::kv("commandIds_restored", n(st.dedupe_restored)),
             logging::kv("events_read_for_commandIds", n(st.dedupe_events_read)),
             logging::kv("snapshots_written", n(st.snapshots_written)),
             logging::kv("snapshot_failures", n(st.snapshot_failures)),
             logging::kv("stale_local_states", n(st.stale_local_discarded)),
             logging::kv("recovery_ms", ms(st.recovery_us)), logging::kv("last_takeover_ms", ms(st.last_takeover_us))},
            "stopped");
}

} // namespace

engine::kafka::worker_options worker_options_of(store_options const& so, kafka_options const& ko) {
    engine::kafka::worker_options options;
    options.kafka = kafka_settings(ko);
    options.data = so.data;
    options.group = ko.group;
    char host[256] = "host";
    (void)gethostname(host, sizeof host - 1);
    options.instance = ko.instance.empty() ? fmt::format("{}-{}", host, getpid()) : ko.instance;
    options.kafka.client_id = "salonq-" + options.instance;
    options.commit_interval = std::chrono::milliseconds{ko.commit_interval_ms};
    options.max_batch = ko.max_batch;
    options.session_timeout = std::chrono::milliseconds{ko.session_timeout_ms};
    options.snapshot_every = ko.snapshot_every;
    options.snapshot_max_age = std::chrono::seconds{ko.snapshot_max_age_seconds};
    options.state_checkpoint_interval = std::chrono::milliseconds{so.state_checkpoint_ms};
    options.inject_abort_every = ko.inject_abort_every;
    options.inject_round_failure_every = ko.inject_round_failure_every;
    if (ko.clock_offset_hours != 0) {
        options.clock = [offset = std::chrono::hours{ko.clock_offset_hours}] {
            return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() + offset);
        };
    }
    return options;
}

int run_worker(engine::kafka::worker_options const& options) {
    auto const log = logging::logger{"serve", {logging::kv("instance", options.instance)}};
    auto engine = engine::kafka::worker::open(options);
    if (!engine) {
        log.error("{}", engine.error().message);
        return stop_requested.load() ? 0 : 1;
    }
    serving.store(engine->get());
    if (stop_requested.load()) {
        (*engine)->stop();
    }
    log.info("engine worker in group {} on {} (data {})", options.group, options.kafka.brokers, options.data.string());
    auto result = (*engine)->run();
    serving.store(nullptr);
    log_stopped(log, (*engine)->stats());
    if (!result) {
        log.error("{}", result.error().message);
        return 1;
    }
    return 0;
}

void stop_worker() { stop_serving(0); }

int run_serve(store_options const& so, kafka_options const& ko) {
    // Handlers first: a stop that arrives while the worker is still connecting is a clean stop too.
    std::signal(SIGTERM, stop_serving);
    std::signal(SIGINT, stop_serving);
    return run_worker(worker_options_of(so, ko));
}

int run_verify_kafka(kafka_options const& ko, std::vector<std::filesystem::path> const& worker_dirs) {
    auto const s = kafka_settings(ko);
    auto report = engine::kafka::verify(s, worker_dirs);
    if (!report) {
        std::cerr << "salonq verify: " << report.error().message << "\n";
        return 1;
    }
    std::cout << fmt::format("salons {}  command messages {}  outcome records {} (events {}, rejections {})\n",
                             report->salons, report->commands, report->entries, report->events, report->rejections);
    if (!report->ok()) {
        for (auto const& p : report->problems) {
            std::cout << "PROBLEM " << p << "\n";
        }
        std::cout << "verify: FAILED\n";
        return 1;
    }
    std::cout << "verify: ok - one outcome per command, seqs gapless, events on their salon's partition, worker "
                 "states equal the fold\n";
    return 0;
}

} // namespace salonq::api
