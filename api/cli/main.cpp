// salonq: the command line of the salon queue engine (embedded mode).

#include "api/cli/commands.hpp"
#include "engine/logging/logger.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
    // A crash says why: an uncaught exception is named on stderr before the abort.
    std::set_terminate([] {
        try {
            if (auto e = std::current_exception()) {
                std::rethrow_exception(e);
            }
            std::fputs("salonq: terminated\n", stderr);
        } catch (std::exception const& e) {
            std::fprintf(stderr, "salonq: terminated by an uncaught exception: %s\n", e.what());
        } catch (...) {
            std::fputs("salonq: terminated by an uncaught exception\n", stderr);
        }
        std::abort();
    });
    using namespace salonq::api;
    CLI::App app{"salonq - event-sourced walk-in queue engine for salons"};
    app.require_subcommand(1);

    // Any option can come from a file instead (TOML or INI; a subcommand's options under its own section, e.g.
    // [serve] brokers = "h:p"); the command line wins over the file.
    app.set_config("--config", "", "Read options from this TOML/INI file ([serve], [topics.create], ...)");

    store_options so;
    app.add_option("--data", so.data,
                   "Directory of the embedded log and state (default $XDG_DATA_HOME/salonq, else "
                   "~/.local/share/salonq)")
        ->envname("SALONQ_DATA");
    app.add_option("--partitions", so.partitions, "Partition count of a new log (default 12)")
        ->check(CLI::Range(1, 4096));
    app.add_option("--workers", so.workers, "Engine worker threads (single writers)")->check(CLI::Range(1, 64));
    app.add_option("--durability", so.durability, "sync: acknowledge after fsync; relaxed: after the OS write")
        ->check(CLI::IsMember({"sync", "relaxed"}));

    std::string log_level = "info", log_format = "text";
    app.add_option("--log-level", log_level, "Least level logged: debug, info, warn, error")
        ->envname("SALONQ_LOG_LEVEL")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    app.add_option("--log-format", log_format, "Log lines on stderr as text (for a person) or json (one object a line)")
        ->envname("SALONQ_LOG_FORMAT")
        ->check(CLI::IsMember({"text", "json"}));

    kafka_options ko;
    // Options every Kafka-mode subcommand takes: the cluster and librdkafka properties (security settings).
    auto const cluster_options = [&ko](CLI::App* sub) {
        sub->add_option("--brokers", ko.brokers, "Bootstrap servers host:port[,...]")->envname("SALONQ_BROKERS");
        sub->add_option("--kafka-property", ko.properties,
                        "librdkafka property KEY=VALUE, repeatable (e.g. security.protocol=SASL_SSL); secrets are "
                        "better kept in the --config file than on the command line")
            ->check([](std::string const& kv) {
                auto const eq = kv.find('=');
                return eq == std::string::npos || eq == 0 ? std::string{"expected KEY=VALUE"} : std::string{};
            });
    };

    std::string input = "-";
    auto* submit = app.add_subcommand("submit", "Submit commands (JSON lines) and print each outcome as a JSON line");
    submit->add_option("file", input, "File of commands, one JSON object a line ('-' = stdin)");

    events_options eo;
    auto* events = app.add_subcommand("events", "Print the events log as JSON lines");
    events->add_option("--salon", eo.salon, "Only this salon's entries");
    events->add_option("--from-seq", eo.from_seq, "Only events with seq >= this");
    events->add_option("--partition", eo.partition, "Only this partition");
    events->add_option("--limit", eo.limit, "At most this many lines");
    bool no_rejections = false;
    events->add_flag("--no-rejections", no_rejections, "Leave out recorded rejections");

    std::string salon;
    auto* state = app.add_subcommand("state", "Print a salon's folded state as JSON");
    state->add_option("salon", salon, "Salon id")->required();

    auto* verify = app.add_subcommand("verify", "Re-fold every event from scratch and compare with the stored state");
    std::string verify_brokers;
    std::vector<std::filesystem::path> worker_dirs;
    verify->add_option("--brokers", verify_brokers, "Kafka mode: verify the topics of this cluster instead");
    verify->add_option("--kafka-property", ko.properties, "Kafka mode: librdkafka property KEY=VALUE, repeatable");
    verify->add_option("--worker-data", worker_dirs, "Kafka mode: engine workers' data dirs whose states to check");

    simulate_options sim;
    auto* simulate = app.add_subcommand("simulate", "Drive realistic salon days through the engine and summarise");
    simulate->add_option("--salons", sim.salons, "Number of salons")->check(CLI::Range(1, 1'000'000));
    simulate->add_option("--days", sim.days, "Number of days")->check(CLI::Range(1, 3650));
    simulate->add_option("--seed", sim.seed, "Random seed");
    simulate->add_option("--load", sim.load, "Arrival rate factor (1.0 = ~60 walk-ins a salon a day)")
        ->check(CLI::Range(0.01, 100.0));
    simulate->add_option("--prefix", sim.prefix, "Salon id prefix");
    simulate->add_option("--emit", sim.emit, "Dry run: no engine; write the command stream to this file");
    simulate->add_flag("--quiet", sim.quiet, "Only the summary line");

    auto* topics = app.add_subcommand("topics", "Kafka mode: set up or show salonq's topics");
    topics->require_subcommand(1);
    auto* topics_create = topics->add_subcommand(
        "create", "Create salonq.commands and salonq.events (same partition count) and salonq.snapshots (compacted)");
    topics_create->add_option("--partitions", ko.partitions, "Partitions of each topic")->check(CLI::Range(1, 10000));
    topics_create->add_option("--replication", ko.replication, "Replication factor")->check(CLI::Range(1, 16));
    topics_create
        ->add_option("--events-retention-hours", ko.events_retention_hours,
                     "Delete events older than this (default 0: keep them forever, they are the record); at least "
                     "the 7-day dedupe window plus serve's --snapshot-max-age-seconds")
        ->check(CLI::Range(0, 24 * 365 * 100));
    auto* topics_describe = topics->add_subcommand("describe", "Show the partition counts and check the layout");
    for (auto* sub : {topics_create, topics_describe}) {
        cluster_options(sub);
    }

    auto* serve = app.add_subcommand("serve", "Kafka mode: run an engine worker (consumer group member) until stopped");
    cluster_options(serve);
    serve->add_option("--instance", ko.instance, "This worker's name, unique in the group (default host-pid)")
        ->envname("SALONQ_INSTANCE");
    serve->add_option("--group", ko.group, "Consumer group of the engine workers")->envname("SALONQ_GROUP");
    serve
        ->add_option("--commit-interval-ms", ko.commit_interval_ms,
                     "Shortest time a batch collects commands before it commits (it grows while the previous one "
                     "commits)")
        ->check(CLI::Range(0, 10000));
    serve->add_option("--max-batch", ko.max_batch, "Most commands in one transaction")->check(CLI::Range(1, 1'000'000));
    serve->add_option("--session-timeout-ms", ko.session_timeout_ms, "Group session timeout (failure detection)")
        ->check(CLI::Range(1000, 300000));
    serve
        ->add_option("--clock-offset-hours", ko.clock_offset_hours,
                     "Tests only: the worker's clock (receive times, dedupe retention) runs this many hours ahead")
        ->check(CLI::Range(0, 24 * 365))
        ->group(""); // hidden from --help
    serve
        ->add_option("--inject-abort-every", ko.inject_abort_every,
                     "Fault injection for tests: abort every Nth transaction after producing it")
        ->group(""); // hidden from --help
    serve->add_option("--snapshot-every", ko.snapshot_every,
                      "Events per partition between snapshot rounds to salonq.snapshots (0: never)");
    serve
        ->add_option("--snapshot-max-age-seconds", ko.snapshot_max_age_seconds,
                     "A partition with events its last snapshot round lacks gets a round once that one is this old")
        ->check(CLI::Range(1, 24 * 3600 * 7));

    auto* demo =
        app.add_subcommand("demo", "Open a demo salon, run a simulated day through the engine, show the queue");

    CLI11_PARSE(app, argc, argv);
    salonq::logging::configure(*salonq::logging::parse_level(log_level), *salonq::logging::parse_format(log_format));
    eo.include_rejections = !no_rejections;

    try {
        if (submit->parsed()) {
            if (input == "-") {
                return run_submit(so, std::cin);
            }
            std::ifstream file{input};
            if (!file) {
                std::cerr << "salonq submit: cannot open " << input << "\n";
                return 2;
            }
            return run_submit(so, file);
        }
        if (events->parsed()) {
            return run_events(so, eo);
        }
        if (state->parsed()) {
            return run_state(so, salon);
        }
        if (verify->parsed()) {
            if (!verify_brokers.empty()) {
                ko.brokers = verify_brokers;
                return run_verify_kafka(ko, worker_dirs);
            }
            return run_verify(so);
        }
        if (simulate->parsed()) {
            return run_simulate(so, sim);
        }
        if (topics_create->parsed() || topics_describe->parsed()) {
            if (ko.brokers.empty()) {
                std::cerr << "salonq topics: --brokers (or SALONQ_BROKERS) is required\n";
                return 2;
            }
            return topics_create->parsed() ? run_topics_create(ko) : run_topics_describe(ko);
        }
        if (serve->parsed()) {
            if (ko.brokers.empty()) {
                std::cerr << "salonq serve: --brokers (or SALONQ_BROKERS) is required: Kafka mode runs engine workers; "
                             "embedded mode runs through submit, simulate and demo\n";
                return 2;
            }
            return run_serve(so, ko);
        }
        if (demo->parsed()) {
            return run_demo(so);
        }
    } catch (std::exception const& e) {
        std::cerr << "salonq: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
