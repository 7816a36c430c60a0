#pragma once

// Kafka mode's api role in a test: `salonq serve --brokers B --role api` instances on free ports, the tokens they
// take and their gauges.

#include "test/support/broker.hpp"
#include "test/support/http_client.hpp"
#include "test/support/piped_process.hpp"
#include "test/support/text_scan.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace salonq::test {

// The line `salonq token issue` prints on stdout: the token.
inline std::string issue_token(std::string const& data, std::string const& keyring,
                               std::vector<std::string> const& args) {
    std::vector<std::string> argv{salonq_binary(), "--data", data,    "token", "issue",
                                  "--keyring",     keyring,  "--ttl", "1h"};
    argv.insert(argv.end(), args.begin(), args.end());
    piped_process issue{argv};
    auto token = issue.read_line(std::chrono::seconds{30});
    REQUIRE(token);
    REQUIRE(issue.wait() == 0);
    return *token;
}

// An api instance of the cluster: `salonq serve --brokers B --role api` on a free port.
class api_instance {
public:
    // `extra`: more `serve` options (e.g. "--instance", "a"); `log_file`: its stderr goes there (appended), not to
    // the test's.
    api_instance(kafka_broker const& broker, std::string const& name, std::string const& keyring,
                 std::vector<std::string> const& extra = {}, std::string const& log_file = {})
        : process_(std::make_unique<piped_process>(argv(broker, name, keyring, extra), log_file)) {
        auto line = process_->read_line(std::chrono::seconds{60});
        REQUIRE_MESSAGE(line, "serve --role api printed no line");
        auto const colon = line->rfind(':', line->find(" ("));
        port_ = static_cast<std::uint16_t>(std::stoi(line->substr(colon + 1)));
    }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    // Until /readyz says ready (the views caught up), at most `limit`.
    void wait_ready(std::chrono::seconds limit) const {
        auto const deadline = std::chrono::steady_clock::now() + limit;
        std::string last;
        while (std::chrono::steady_clock::now() < deadline) {
            auto const r = http_client{port_}.get("/readyz");
            if (r.status == 200) {
                return;
            }
            last = r.body;
            std::this_thread::sleep_for(std::chrono::milliseconds{200});
        }
        FAIL("not ready: " << last);
    }
    int stop() {
        process_->kill(SIGTERM);
        return process_->wait();
    }
    // kill -9: no goodbye to the group, a transaction may be left open.
    void kill() {
        process_->kill(SIGKILL);
        (void)process_->wait();
    }

private:
    static std::vector<std::string> argv(kafka_broker const& broker, std::string const& name,
                                         std::string const& keyring, std::vector<std::string> const& extra) {
        std::vector<std::string> v{salonq_binary(), "--data", broker.dir() / name,  "--log-level",
                                   "warn",          "serve",  "--brokers",          broker.bootstrap(),
                                   "--role",        "api",    "--listen",           "127.0.0.1:0",
                                   "--keyring",     keyring,  "--client-rate",      "0",
                                   "--token-rate",  "0",      "--decision-wait-ms", "30000"};
        v.insert(v.end(), extra.begin(), extra.end());
        return v;
    }

    std::unique_ptr<piped_process> process_;
    std::uint16_t port_ = 0;
};

// What an api-role test starts from: a broker with salonq's topics of `partitions` partitions, an engine worker (w1)
// deciding, the keyring the api instances share and an admin token signed with it.
class api_cluster {
public:
    explicit api_cluster(int partitions) {
        create_topics(broker.bootstrap(), partitions);
        worker = start_worker(broker, "w1", {"--session-timeout-ms", "3000"});
        keyring = broker.dir() / "keyring.json";
        admin = issue_token(broker.dir() / "cli", keyring, {"--role", "admin", "--all-salons"});
    }
    // SIGTERM to the worker; its exit code.
    int stop_worker() {
        worker->kill(SIGTERM);
        return worker->wait();
    }

    kafka_broker broker;
    std::unique_ptr<child_process> worker;
    std::string keyring;
    std::string admin;
};

// A gauge of GET /metrics.
inline double metric(http_client& c, std::string const& name) {
    auto const text = c.get("/metrics").body;
    auto const value = token_after(text, "\n" + name + " ", "-0123456789.e+");
    REQUIRE_MESSAGE(value, text);
    return std::stod(*value);
}

} // namespace salonq::test
