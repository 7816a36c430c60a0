// salonq: the command line of the salon queue engine (embedded mode).

#include "api/cli/auth_commands.hpp"
#include "api/cli/commands.hpp"
#include "api/cli/projections_command.hpp"
#include "api/cli/replay_command.hpp"
#include "api/cli/traffic_command.hpp"
#include "engine/logging/logger.hpp"

#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>

namespace {

using namespace salonq::api;

// Everything the command line sets.
struct options {
    store_options so;
    kafka_options ko;
    http_options ho;
    events_options eo;
    simulate_options sim;
    auth_options ao;
    replay_options ro;
    projections_options po;
    traffic_options to;
    std::string input = "-";
    std::string salon;
    std::string verify_brokers;
    std::vector<std::filesystem::path> worker_dirs;
    bool no_rejections = false;
    std::string log_level = "info";
    std::string log_format = "text";
};

// The subcommands, to see which one was given.
struct commands {
    CLI::App* submit = nullptr;
    CLI::App* events = nullptr;
    CLI::App* state = nullptr;
    CLI::App* verify = nullptr;
    CLI::App* simulate = nullptr;
    CLI::App* demo = nullptr;
    CLI::App* topics_create = nullptr;
    CLI::App* topics_describe = nullptr;
    CLI::App* serve = nullptr;
    CLI::App* token_issue = nullptr;
    CLI::App* token_revoke = nullptr;
    CLI::App* keys_rotate = nullptr;
    CLI::App* keys_list = nullptr;
    CLI::App* keys_retire = nullptr;
    CLI::App* routes = nullptr;
    CLI::App* replay = nullptr;
    CLI::App* projections_rebuild = nullptr;
    CLI::App* traffic = nullptr;
};

// A crash says why: an uncaught exception is named on stderr before the abort.
void name_uncaught_exceptions() {
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
}

// --config, the data directory and the engine's shape, logging.
void add_global_options(CLI::App& app, options& o) {
    // Any option can come from a file instead (TOML or INI; a subcommand's options under its own section, e.g.
    // [serve] brokers = "h:p"); the command line wins over the file.
    app.set_config("--config", "", "Read options from this TOML/INI file ([serve], [topics.create], ...)");
    // A key or section the program does not know is refused, naming it, rather than passed over: a misspelt
    // [serve] would otherwise serve on the defaults (set before the subcommands, which inherit it).
    app.allow_config_extras(CLI::config_extras_mode::error);
    // The global options also after the subcommand (`salonq serve --data D`), as people type them: a subcommand
    // hands what it does not know to its parent (set before the subcommands, which inherit it).
    app.fallthrough();

    app.add_option("--data", o.so.data,
                   "Directory of the embedded log and state (default $XDG_DATA_HOME/salonq, else "
                   "~/.local/share/salonq)")
        ->envname("SALONQ_DATA");
    app.add_option("--partitions", o.so.partitions, "Partition count of a new log (default 12)")
        ->check(CLI::Range(1, 4096));
    app.add_option("--workers", o.so.workers, "Engine worker threads (single writers)")->check(CLI::Range(1, 64));
    app.add_option("--durability", o.so.durability, "sync: acknowledge after fsync; relaxed: after the OS write")
        ->check(CLI::IsMember({"sync", "relaxed"}));
    app.add_option("--state-checkpoint-ms", o.so.state_checkpoint_ms,
                   "How often the engine writes the salon states it changed (the log is written with every batch); in "
                   "Kafka mode keep the default: a snapshot round follows the checkpoints")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{3'600'000}));
    app.add_option("--state-checkpoint-bytes", o.so.state_checkpoint_bytes,
                   "Embedded mode: bytes of salon states each command pays for; a checkpoint waits until the commands "
                   "since the last one pay for what it wrote, so that a restart folds at most one command per this "
                   "many bytes it loads (default 256; 0: the interval alone)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 30U));

    app.add_option("--log-level", o.log_level, "Least level logged: debug, info, warn, error")
        ->envname("SALONQ_LOG_LEVEL")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    app.add_option("--log-format", o.log_format,
                   "Log lines on stderr as text (for a person) or json (one object a line)")
        ->envname("SALONQ_LOG_FORMAT")
        ->check(CLI::IsMember({"text", "json"}));
}

// Options every Kafka-mode subcommand takes: the cluster and librdkafka properties (security settings).
void add_cluster_options(CLI::App* sub, kafka_options& ko) {
    sub->add_option("--brokers", ko.brokers, "Bootstrap servers host:port[,...]")->envname("SALONQ_BROKERS");
    sub->add_option("--kafka-property", ko.properties,
                    "librdkafka property KEY=VALUE, repeatable (e.g. security.protocol=SASL_SSL); secrets are "
                    "better kept in the --config file than on the command line")
        ->check([](std::string const& kv) {
            auto const eq = kv.find('=');
            return eq == std::string::npos || eq == 0 ? std::string{"expected KEY=VALUE"} : std::string{};
        });
}

// submit, events, state, verify, simulate, demo: embedded mode (verify also checks a Kafka cluster).
void add_embedded_commands(CLI::App& app, options& o, commands& c) {
    c.submit = app.add_subcommand("submit", "Submit commands (JSON lines) and print each outcome as a JSON line");
    c.submit->add_option("file", o.input, "File of commands, one JSON object a line ('-' = stdin)");

    c.events = app.add_subcommand("events", "Print the events log as JSON lines");
    c.events->add_option("--salon", o.eo.salon, "Only this salon's entries");
    c.events->add_option("--from-seq", o.eo.from_seq, "Only events with seq >= this");
    c.events->add_option("--partition", o.eo.partition, "Only this partition");
    c.events->add_option("--limit", o.eo.limit, "At most this many lines");
    c.events->add_flag("--no-rejections", o.no_rejections, "Leave out recorded rejections");

    c.state = app.add_subcommand("state", "Print a salon's folded state as JSON");
    c.state->add_option("salon", o.salon, "Salon id")->required();

    c.verify = app.add_subcommand("verify", "Re-fold every event from scratch and compare with the stored state");
    c.verify->add_option("--brokers", o.verify_brokers, "Kafka mode: verify the topics of this cluster instead");
    c.verify->add_option("--kafka-property", o.ko.properties, "Kafka mode: librdkafka property KEY=VALUE, repeatable");
    c.verify->add_option("--worker-data", o.worker_dirs, "Kafka mode: engine workers' data dirs whose states to check");

    c.simulate = app.add_subcommand("simulate", "Drive realistic salon days through the engine and summarise");
    c.simulate->add_option("--salons", o.sim.salons, "Number of salons")->check(CLI::Range(1, 1'000'000));
    c.simulate->add_option("--days", o.sim.days, "Number of days")->check(CLI::Range(1, 3650));
    c.simulate->add_option("--seed", o.sim.seed, "Random seed");
    c.simulate->add_option("--load", o.sim.load, "Arrival rate factor (1.0 = ~60 walk-ins a salon a day)")
        ->check(CLI::Range(0.01, 100.0));
    c.simulate->add_flag("--weekly", o.sim.weekly,
                         "A week's rhythm: quiet Mondays to busy Saturdays, closed Sundays, stylists' days off");
    c.simulate->add_option("--prefix", o.sim.prefix, "Salon id prefix");
    c.simulate->add_option("--emit", o.sim.emit, "Dry run: no engine; write the command stream to this file");
    c.simulate->add_flag("--quiet", o.sim.quiet, "Only the summary line");

    c.replay = add_replay_command(app, o.ro);
    add_cluster_options(c.replay, o.ko);
    c.projections_rebuild = add_projections_command(app, o.po);
    add_cluster_options(c.projections_rebuild, o.ko);
    c.traffic = add_traffic_command(app, o.to);

    c.demo =
        app.add_subcommand("demo", "Open three demo salons, run a simulated day through the engine, show the queues");

    // The HTTP API's route table as JSON lines, for the OpenAPI test (hidden from --help).
    c.routes = app.add_subcommand("routes", "Print the HTTP API's routes as JSON lines");
    c.routes->group("");
}

// topics create|describe, serve: Kafka mode.
void add_kafka_commands(CLI::App& app, options& o, commands& c) {
    auto* topics = app.add_subcommand("topics", "Kafka mode: set up or show salonq's topics");
    topics->require_subcommand(1);
    c.topics_create = topics->add_subcommand(
        "create", "Create salonq.commands and salonq.events (same partition count) and salonq.snapshots (compacted)");
    c.topics_create->add_option("--partitions", o.ko.partitions, "Partitions of each topic")
        ->check(CLI::Range(1, 10000));
    c.topics_create->add_option("--replication", o.ko.replication, "Replication factor")->check(CLI::Range(1, 16));
    c.topics_create
        ->add_option("--events-retention-hours", o.ko.events_retention_hours,
                     "Delete events older than this (default 0: keep them forever, they are the record); at least "
                     "the 7-day dedupe window plus serve's --snapshot-max-age-seconds")
        ->check(CLI::Range(0, 24 * 365 * 100));
    c.topics_describe = topics->add_subcommand("describe", "Show the partition counts and check the layout");
    for (auto* sub : {c.topics_create, c.topics_describe}) {
        add_cluster_options(sub, o.ko);
    }

    c.serve = app.add_subcommand("serve", "Serve the HTTP API over the embedded log; with --brokers (Kafka mode), run "
                                          "an engine worker, the HTTP API or both (--role) until stopped");
    add_cluster_options(c.serve, o.ko);
    c.serve
        ->add_option("--role", o.ko.role,
                     "Kafka mode: engine (a worker of the consumer group; the default), api (the HTTP API: views fed "
                     "from salonq.events, commands produced to salonq.commands) or all (both in one process)")
        ->envname("SALONQ_ROLE")
        ->check(CLI::IsMember({"engine", "api", "all"}));
    c.serve
        ->add_option("--max-lag-events", o.ko.max_lag_events,
                     "Kafka mode, role api: /readyz fails while the views are more events than this behind")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000'000}));
    c.serve
        ->add_option("--listen", o.ho.listen,
                     "HTTP address HOST:PORT (port 0: any free one; the line printed "
                     "at start names it)")
        ->envname("SALONQ_LISTEN");
    c.serve->add_option("--http-threads", o.ho.threads, "HTTP threads (default: one per core)")
        ->check(CLI::Range(0, 256));
    c.serve
        ->add_option("--decision-wait-ms", o.ho.decision_wait_ms,
                     "How long a POST waits for the engine's decision before answering 202")
        ->check(CLI::Range(0, 60'000));
    c.serve->add_option("--max-connections", o.ho.max_connections, "Open connections held at most (then 503)")
        ->check(CLI::Range(1, 1'000'000));
    c.serve
        ->add_option("--max-live-streams", o.ho.max_live_streams,
                     "Live screens (WebSocket and SSE) held at most (then 503 too_many_streams)")
        ->check(CLI::Range(1, 10'000'000));
    c.serve
        ->add_option("--live-sockets", o.ho.live_sockets,
                     "Where live WebSockets are held: 'rings' (io_uring tables, no file descriptor each, so more "
                     "screens than the open-file limit; descriptors when the kernel has no io_uring) or "
                     "'descriptors'")
        ->envname("SALONQ_LIVE_SOCKETS")
        ->check(CLI::IsMember({"rings", "descriptors"}));
    c.serve
        ->add_option("--cors-origin", o.ho.cors_origins,
                     "An origin whose pages may call the API ('*': any); repeatable")
        ->envname("SALONQ_CORS_ORIGINS");
    c.serve
        ->add_option("--public-url", o.ho.public_url,
                     "The address customers and screens reach this server at, behind a proxy "
                     "(https://queue.example.com): the ticket pages' QR codes point there (default: the Host the "
                     "console used)")
        ->envname("SALONQ_PUBLIC_URL");
    c.serve
        ->add_option("--client-rate", o.ho.client_rate, "Requests a second one client address may make (0: no limit)")
        ->check(CLI::Range(0.0, 1e9));
    c.serve->add_option("--client-burst", o.ho.client_burst, "Requests one client address may make at once")
        ->check(CLI::Range(1.0, 1e9));
    c.serve->add_option("--token-rate", o.ho.token_rate, "Requests a second one bearer token may make (0: no limit)")
        ->check(CLI::Range(0.0, 1e9));
    c.serve->add_option("--token-burst", o.ho.token_burst, "Requests one bearer token may make at once")
        ->check(CLI::Range(1.0, 1e9));
    c.serve
        ->add_flag("--webhook-allow-private", o.ho.webhook_allow_private,
                   "Let salons' webhooks reach private, loopback and link-local addresses (refused by default: a "
                   "salon manager could otherwise probe this server's network)")
        ->envname("SALONQ_WEBHOOK_ALLOW_PRIVATE");
    c.serve
        ->add_option("--instance", o.ko.instance,
                     "This process's name, unique among the workers and among the api instances: "
                     "their transactional.ids come from it (default host-pid)")
        ->envname("SALONQ_INSTANCE");
    c.serve->add_option("--group", o.ko.group, "Consumer group of the engine workers")->envname("SALONQ_GROUP");
    c.serve
        ->add_option("--commit-interval-ms", o.ko.commit_interval_ms,
                     "Shortest time a batch collects commands before it commits (it grows while the previous one "
                     "commits)")
        ->check(CLI::Range(0, 10000));
    c.serve->add_option("--max-batch", o.ko.max_batch, "Most commands in one transaction")
        ->check(CLI::Range(1, 1'000'000));
    c.serve->add_option("--session-timeout-ms", o.ko.session_timeout_ms, "Group session timeout (failure detection)")
        ->check(CLI::Range(1000, 300000));
    c.serve
        ->add_option("--clock-offset-hours", o.ko.clock_offset_hours,
                     "Tests only: the worker's clock (receive times, dedupe retention) runs this many hours ahead")
        ->check(CLI::Range(0, 24 * 365))
        ->group(""); // hidden from --help
    c.serve
        ->add_option("--inject-abort-every", o.ko.inject_abort_every,
                     "Fault injection for tests: abort every Nth transaction after producing it")
        ->group(""); // hidden from --help
    c.serve
        ->add_option("--inject-round-failure-every", o.ko.inject_round_failure_every,
                     "Fault injection for tests: every Nth snapshot round cannot produce its first snapshot")
        ->group(""); // hidden from --help
    c.serve->add_option("--snapshot-every", o.ko.snapshot_every,
                        "Events per partition between snapshot rounds to salonq.snapshots (0: never)");
    c.serve
        ->add_option("--snapshot-max-age-seconds", o.ko.snapshot_max_age_seconds,
                     "A partition with events its last snapshot round lacks gets a round once that one is this old")
        ->check(CLI::Range(1, 24 * 3600 * 7));
}

// token issue|revoke, keys rotate|list|retire: the HTTP API's bearer tokens and the keyring that signs them.
void add_auth_commands(CLI::App& app, options& o, commands& c) {
    auto keyring_option = [&o](CLI::App* sub) {
        sub->add_option("--keyring", o.ao.keyring, "The keyring file (default <data>/auth/keyring.json, made 0600)")
            ->envname("SALONQ_KEYRING");
    };
    auto* token = app.add_subcommand("token", "Bearer tokens for the HTTP API: issue or revoke one");
    token->require_subcommand(1);
    c.token_issue = token->add_subcommand(
        "issue", "Sign a token and print it alone on stdout (its jti and expiry go to stderr); makes the keyring "
                 "on first use");
    c.token_issue
        ->add_option("--role", o.ao.role,
                     "pos, staff, manager, owner, dashboard, analyst, monitor (/metrics only) or admin")
        ->required();
    c.token_issue->add_option("--salon", o.ao.salons, "A salon the token reaches (repeatable)");
    c.token_issue->add_flag("--all-salons", o.ao.all_salons, "Every salon (role admin only)");
    c.token_issue->add_option("--staff", o.ao.staff,
                              "The staffId the bearer acts as (required for staff, manager and owner)");
    c.token_issue->add_option("--sub", o.ao.subject,
                              "Who holds it: a terminal's name for pos (required there), else default the staff id "
                              "or the role");
    c.token_issue->add_option("--ttl", o.ao.ttl, "Lifetime: 90s, 30m, 8h, 7d (at most 30d)")->required();
    c.token_issue->add_option("--sign-in", o.ao.sign_in,
                              "A screen's address (http://HOST:PORT/console): print its sign-in link and the link as "
                              "a QR code to scan with a tablet's camera, instead of the bare token");
    c.token_revoke = token->add_subcommand(
        "revoke", "Revoke a token by its jti (or give the token itself); a running server learns it at its next "
                  "refresh");
    c.token_revoke->add_option("jti", o.ao.revoke, "The token's jti, as `token issue` printed it, or the token")
        ->required();
    // Kafka mode: also to salonq.revocations, which every api instance reads.
    add_cluster_options(c.token_revoke, o.ko);

    auto* keys = app.add_subcommand("keys", "The keyring that signs tokens (secrets are never printed)");
    keys->require_subcommand(1);
    c.keys_rotate = keys->add_subcommand("rotate", "Add a new current key; the previous keys stay valid");
    c.keys_list = keys->add_subcommand("list", "List the keys' ids and ages");
    c.keys_retire = keys->add_subcommand("retire", "Drop a key: tokens signed with it stop verifying");
    c.keys_retire->add_option("kid", o.ao.kid, "The key's id (from keys list)")->required();
    for (auto* sub : {c.token_issue, c.token_revoke, c.keys_rotate, c.keys_list, c.keys_retire, c.serve}) {
        keyring_option(sub);
    }
}

// The auth subcommands, if one was given.
std::optional<int> run_auth(commands const& c, options const& o) {
    if (c.token_issue->parsed()) {
        return run_token_issue(o.so, o.ao);
    }
    if (c.token_revoke->parsed()) {
        return run_token_revoke(o.so, o.ao, o.ko);
    }
    if (c.keys_rotate->parsed()) {
        return run_keys_rotate(o.so, o.ao);
    }
    if (c.keys_list->parsed()) {
        return run_keys_list(o.so, o.ao);
    }
    if (c.keys_retire->parsed()) {
        return run_keys_retire(o.so, o.ao);
    }
    return std::nullopt;
}

int run(commands const& c, options& o) {
    if (auto done = run_auth(c, o)) {
        return *done;
    }
    if (c.submit->parsed()) {
        if (o.input == "-") {
            return run_submit(o.so, std::cin);
        }
        std::ifstream file{o.input};
        if (!file) {
            std::cerr << "salonq submit: cannot open " << o.input << "\n";
            return 2;
        }
        return run_submit(o.so, file);
    }
    if (c.events->parsed()) {
        return run_events(o.so, o.eo);
    }
    if (c.state->parsed()) {
        return run_state(o.so, o.salon);
    }
    if (c.verify->parsed()) {
        if (!o.verify_brokers.empty()) {
            o.ko.brokers = o.verify_brokers;
            return run_verify_kafka(o.ko, o.worker_dirs);
        }
        return run_verify(o.so);
    }
    if (c.simulate->parsed()) {
        return run_simulate(o.so, o.sim);
    }
    if (c.topics_create->parsed() || c.topics_describe->parsed()) {
        if (o.ko.brokers.empty()) {
            std::cerr << "salonq topics: --brokers (or SALONQ_BROKERS) is required\n";
            return 2;
        }
        return c.topics_create->parsed() ? run_topics_create(o.ko) : run_topics_describe(o.ko);
    }
    if (c.serve->parsed()) {
        if (o.ko.brokers.empty()) {
            if (o.ko.role != "engine") {
                std::cerr << "salonq serve: --role " << o.ko.role
                          << " is Kafka mode: give --brokers (or SALONQ_BROKERS) too\n";
                return 2;
            }
            return run_serve_http(o.so, o.ho, o.ao);
        }
        return o.ko.role == "engine" ? run_serve(o.so, o.ko) : run_serve_kafka(o.so, o.ko, o.ho, o.ao);
    }
    if (c.replay->parsed()) {
        return run_replay(o.so, o.ko, o.ro);
    }
    if (c.projections_rebuild->parsed()) {
        return run_projections_rebuild(o.so, o.ko, o.po);
    }
    if (c.traffic->parsed()) {
        return run_traffic(o.so, o.to);
    }
    if (c.demo->parsed()) {
        return run_demo(o.so);
    }
    if (c.routes->parsed()) {
        return run_routes();
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    name_uncaught_exceptions();
    // What salonq writes is its own: the log, the views and the stats hold customers' names and phone numbers, so
    // files are made 0600 and directories 0700 whatever the shell's umask (until session 36 the log was 0644 and
    // its directory 0755; the keyring, notify and loyalty stores were already kept private). An analyst's report
    // file (replay -o) is likewise private, as a copy of the same data.
    ::umask(S_IRWXG | S_IRWXO);
    CLI::App app{"salonq - event-sourced walk-in queue engine for salons"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string{"salonq "} + SALONQ_VERSION);
    options o;
    commands c;
    add_global_options(app, o);
    add_embedded_commands(app, o, c);
    add_kafka_commands(app, o, c);
    add_auth_commands(app, o, c);
    try {
        app.parse(argc, argv);
    } catch (CLI::ParseError const& e) {
        // CLI11 prints the help or the error; a wrong option or value exits 2 (CLI11's own codes are 105, 106, ...
        // by kind of mistake), as every command's own refusals of its options do.
        return app.exit(e) == 0 ? 0 : 2;
    }
    // (both checked by CLI11 against the names parse_* know)
    salonq::logging::configure(salonq::logging::parse_level(o.log_level).value_or(salonq::logging::level::info),
                               salonq::logging::parse_format(o.log_format).value_or(salonq::logging::format::text));
    o.eo.include_rejections = !o.no_rejections;
    try {
        return run(c, o);
    } catch (std::exception const& e) {
        std::cerr << "salonq: " << e.what() << "\n";
        return 1;
    }
}
