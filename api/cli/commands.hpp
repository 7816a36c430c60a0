#pragma once

#include "api/http/options.hpp"
#include "engine/kafka/worker.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/runtime/embedded_view.hpp"

#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace salonq::api {

// Where the data lives without --data or SALONQ_DATA: $XDG_DATA_HOME/salonq, else ~/.local/share/salonq (the XDG
// base directory default), outside any checkout, so a log is never committed by mistake.
[[nodiscard]] std::filesystem::path default_data_dir();

// Options shared by every subcommand that opens the embedded log.
struct store_options {
    std::filesystem::path data = default_data_dir();
    std::optional<std::int32_t> partitions;
    std::int32_t workers = 1;
    std::string durability = "sync";
    std::int64_t state_checkpoint_ms = 1000; // how often the engine writes its changed salon states
    // and no more often than the log pays for (embedded engine; 0: the interval alone)
    std::size_t state_checkpoint_bytes = engine::runtime::checkpoint_sweep::default_bytes_per_event;
};

struct events_options {
    std::optional<std::string> salon;
    std::uint64_t from_seq = 0;
    std::optional<std::int32_t> partition;
    bool include_rejections = true;
    std::uint64_t limit = 0; // 0 = all
};

struct simulate_options {
    std::int32_t salons = 10;
    std::int32_t days = 1;
    std::uint64_t seed = 42;
    double load = 1.0;
    bool weekly = false; // sim_options::weekly
    std::string prefix = "salon";
    std::optional<std::filesystem::path> emit; // dry run: write the command stream (client form) here
    bool quiet = false;
};

struct kafka_options {
    std::string brokers;
    // librdkafka properties passed through as KEY=VALUE (security.protocol, sasl.*, ssl.*, ...). They may hold
    // secrets: they are never printed.
    std::vector<std::string> properties;
    std::string instance; // serve: this worker's name (its transactional.id); default host-pid
    std::string group = "salonq-engine";
    std::int32_t commit_interval_ms = 5;
    std::size_t max_batch = 10'000;
    std::int32_t session_timeout_ms = 6000;
    std::uint64_t snapshot_every = 10'000;
    std::int64_t snapshot_max_age_seconds = 3600;
    std::uint64_t inject_abort_every = 0;         // tests only
    std::uint64_t inject_round_failure_every = 0; // tests only
    std::int32_t clock_offset_hours = 0;          // tests only: the worker's clock runs this far ahead
    std::int32_t partitions = 12;
    std::int32_t replication = 1;
    std::int32_t events_retention_hours = 0; // topics create: 0 keeps the events forever
    // serve --brokers: engine (a worker of the consumer group), api (the HTTP API: views fed from salonq.events,
    // commands produced to salonq.commands) or all (both in one process).
    std::string role = "engine";
    std::int64_t max_lag_events = 1000; // role api: /readyz fails while the views are further behind
};

struct auth_options; // api/cli/auth_commands.hpp

// salonq serve in embedded mode: the HTTP API (api/http/options.hpp has the rest of the server's settings).
struct http_options {
    std::string listen = "127.0.0.1:8080";
    int threads = 0; // one per core
    std::int64_t decision_wait_ms = 2000;
    std::size_t max_connections = 60'000;
    std::size_t max_live_streams = 100'000;
    std::string live_sockets = "rings"; // rings: WebSockets held in io_uring tables (docs/live-rings.md); descriptors
    std::vector<std::string> cors_origins;
    std::string public_url;
    double client_rate = 500;
    double client_burst = 1000;
    double token_rate = 100;
    double token_burst = 200;
    bool webhook_allow_private = false; // the notifier's webhooks may be private, loopback or link-local addresses
};

// Each returns the process exit code and prints to stdout/stderr.
int run_submit(store_options const& so, std::istream& in);
int run_events(store_options const& so, events_options const& eo);
int run_state(store_options const& so, std::string const& salon);
int run_verify(store_options const& so);
int run_simulate(store_options const& so, simulate_options const& sim);
int run_demo(store_options const& so);
int run_topics_create(kafka_options const& ko);
int run_topics_describe(kafka_options const& ko);
int run_serve(store_options const& so, kafka_options const& ko);
// serve --brokers --role api|all (api/cli/serve_kafka.cpp).
int run_serve_kafka(store_options const& so, kafka_options const& ko, http_options const& ho, auth_options const& ao);
int run_serve_http(store_options const& so, http_options const& ho, auth_options const& ao);
int run_routes(); // the HTTP route table, one JSON object a line
int run_verify_kafka(kafka_options const& ko, std::vector<std::filesystem::path> const& worker_dirs);

[[nodiscard]] engine::runtime::engine_options engine_options_of(store_options const& so);
// Kafka mode's engine worker: its options from the command line, and running one until stop_worker() (or
// SIGTERM/SIGINT once run_serve installed its handlers); the exit code.
[[nodiscard]] engine::kafka::worker_options worker_options_of(store_options const& so, kafka_options const& ko);
[[nodiscard]] int run_worker(engine::kafka::worker_options const& options);
void stop_worker();
[[nodiscard]] engine::kafka::settings kafka_settings(kafka_options const& ko);
// The HTTP server's settings from the command line (embedded and Kafka mode); --listen that does not parse is
// an error saying why.
[[nodiscard]] std::expected<http::server_options, std::string> server_options_of(http_options const& ho);
// The URL of a listening address (an IPv6 one in brackets).
[[nodiscard]] std::string url_of(std::string const& address, std::uint16_t port);
[[nodiscard]] std::expected<std::unique_ptr<engine::runtime::embedded_engine>, std::string>
open_engine(store_options const& so);
[[nodiscard]] std::expected<std::unique_ptr<engine::runtime::embedded_view>, std::string>
open_view(store_options const& so);

} // namespace salonq::api
