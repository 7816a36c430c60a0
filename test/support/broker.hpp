#pragma once

// A real Apache Kafka broker (or three-node cluster) for a test, via ops/kafka/broker.sh: started on free
// loopback ports in a temp dir, killed and removed when the fixture goes.

#include "test/support/process.hpp"
#include "test/support/text_scan.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace salonq::test {

inline std::string run_capture(std::string const& cmd) {
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        std::array<char, 4096> buf{};
        while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) {
            out.append(buf.data(), n);
        }
        if (::pclose(p) != 0) {
            throw std::runtime_error("command failed: " + cmd + "\n" + out);
        }
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
        out.pop_back();
    }
    return out;
}

inline std::string ops(std::string const& script) { return std::string{SALONQ_SOURCE_DIR} + "/ops/kafka/" + script; }

class kafka_broker {
public:
    explicit kafka_broker(bool cluster = false) : cluster_(cluster) {
        auto const err = dir_.path() + "/start.err";
        try {
            auto const out = run_capture(ops("broker.sh") + (cluster ? " cluster start '" : " start '") + dir_.path() +
                                         "/kafka' 2>" + err);
            bootstrap_ = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
        } catch (std::runtime_error const& e) {
            // The temp dir goes with the fixture: say why the broker did not start while its words are still there.
            std::ifstream in{err};
            throw std::runtime_error(std::string{e.what()} + "\nbroker.sh said:\n" +
                                     std::string{std::istreambuf_iterator<char>{in}, {}});
        }
    }
    ~kafka_broker() {
        std::string const cmd =
            ops("broker.sh") + (cluster_ ? " cluster stop '" : " kill '") + dir_.path() + "/kafka' >/dev/null 2>&1";
        [[maybe_unused]] int rc = std::system(cmd.c_str());
    }
    kafka_broker(kafka_broker const&) = delete;
    kafka_broker& operator=(kafka_broker const&) = delete;

    [[nodiscard]] std::string const& bootstrap() const noexcept { return bootstrap_; }
    [[nodiscard]] temp_dir const& dir() const noexcept { return dir_; }
    void restart() { (void)run_capture(ops("broker.sh") + " restart '" + dir_.path() + "/kafka' 2>/dev/null"); }
    void node(std::string const& action, int n) {
        (void)run_capture(ops("broker.sh") + " node " + action + " '" + dir_.path() + "/kafka' " + std::to_string(n) +
                          " 2>/dev/null");
    }

private:
    bool cluster_;
    temp_dir dir_;
    std::string bootstrap_;
};

// `salonq simulate --emit` commands turned into kcat's key<TAB>value input, keyed by salonId.
inline std::size_t keyed_commands(std::string const& commands, std::string const& keyed) {
    auto const n = run_capture("awk '{match($0, /\"salonId\":\"[^\"]*\"/); s=substr($0, RSTART+11, RLENGTH-12); "
                               "print s \"\\t\" $0}' '" +
                               commands + "' > '" + keyed + "' && wc -l < '" + keyed + "'");
    return static_cast<std::size_t>(std::stoull(n));
}

// salonq's topics on the cluster at `bootstrap` (`extra`: more `topics create` options, e.g. "--replication 3").
inline void create_topics(std::string const& bootstrap, int partitions, std::string const& extra = "") {
    (void)run_capture(salonq_binary() + " topics create --brokers " + bootstrap + " --partitions " +
                      std::to_string(partitions) + (extra.empty() ? "" : " " + extra));
}

// The commands of `salonq simulate <args>` in dir/cmds.jsonl, and keyed for kcat in dir/keyed.tsv; how many.
inline std::size_t simulated_commands(temp_dir const& dir, std::string const& simulate_args) {
    (void)run_capture(salonq_binary() + " simulate " + simulate_args + " --quiet --emit '" + (dir / "cmds.jsonl") +
                      "'");
    return keyed_commands(dir / "cmds.jsonl", dir / "keyed.tsv");
}

// kcat producing a keyed file to salonq.commands as a POS terminal should: the Java client's partitioner, and an
// idempotent producer, so a retried batch cannot land behind a later one (a walk-in ahead of its salon's register).
inline std::string kcat_produce_command(std::string const& bootstrap, std::string const& keyed_file) {
    return "kcat -b " + bootstrap + " -P -t salonq.commands -K'\t' -X partitioner=murmur2_random " +
           "-X enable.idempotence=true < '" + keyed_file + "'";
}

inline void kcat_produce(std::string const& bootstrap, std::string const& keyed_file) {
    (void)run_capture(kcat_produce_command(bootstrap, keyed_file));
}

// Produces a keyed file in the background (kcat as a child process).
inline std::unique_ptr<child_process> kcat_produce_async(std::string const& bootstrap, std::string const& keyed_file,
                                                         std::string const& log) {
    return std::make_unique<child_process>(
        std::vector<std::string>{"/bin/sh", "-c", kcat_produce_command(bootstrap, keyed_file)}, log);
}

// Splits `<dir>/keyed.tsv` (total lines) into `parts` consecutive files <dir>/part<i>.tsv.
inline std::vector<std::string> split_commands(temp_dir const& dir, std::size_t total, std::size_t parts) {
    std::vector<std::string> files;
    for (std::size_t i = 0; i < parts; ++i) {
        auto const file = dir / ("part" + std::to_string(i) + ".tsv");
        (void)run_capture("sed -n '" + std::to_string(i * total / parts + 1) + "," +
                          std::to_string((i + 1) * total / parts) + "p' '" + (dir / "keyed.tsv") + "' > '" + file +
                          "'");
        files.push_back(file);
    }
    return files;
}

// An engine worker (`salonq serve`) named `name`, with its data dir under the broker's temp dir and its output
// (stdout and stderr) in `log` (default <name>.log); `extra` options of serve, `global` ones of salonq.
inline std::unique_ptr<child_process> start_worker(kafka_broker const& broker, std::string const& name,
                                                   std::vector<std::string> const& extra = {},
                                                   std::string const& log = "",
                                                   std::vector<std::string> const& global = {}) {
    std::vector<std::string> argv{salonq_binary(), "--data", broker.dir() / name};
    argv.insert(argv.end(), global.begin(), global.end());
    for (auto const& arg :
         {std::string{"serve"}, std::string{"--brokers"}, broker.bootstrap(), std::string{"--instance"}, name}) {
        argv.push_back(arg);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<child_process>(argv, log.empty() ? broker.dir() / (name + ".log") : log, true);
}

// The last `n` lines of a worker's log, without librdkafka's own ("%7|...").
inline std::string log_tail(std::string const& text, std::size_t n = 20) {
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with('%')) {
            lines.push_back(line);
        }
    }
    std::string tail;
    for (auto i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
        tail += lines[i] + "\n";
    }
    return tail;
}

// A counter of the line `salonq serve` logs when it stops ("salonq serve w1: stopped (commands=12 ...)"), by its
// field name (snapshots_written, events_recovered, ...). A field that is missing fails the test.
inline std::uint64_t worker_stat(std::string const& log, std::string const& field) {
    std::ifstream in{log};
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto value = token_after(text, field + "=", digits, " (", " )")) {
        return std::stoull(*value);
    }
    FAIL("no \"" << field << "=<n>\" in " << log << ", which ends:\n" << log_tail(text));
    return 0; // not reached: FAIL ends the test case
}

// Polls `salonq verify --brokers` until it passes (the workers have caught up) or the time is up; the last
// report (or failure output) is left in `report`.
inline bool wait_verified(std::string const& bootstrap, std::chrono::seconds limit, std::string& report,
                          std::string const& extra = "") {
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            report = run_capture(salonq_binary() + " verify --brokers " + bootstrap + " " + extra + " 2>&1");
            return true;
        } catch (std::runtime_error const& e) {
            report = e.what();
        }
        std::this_thread::sleep_for(std::chrono::seconds{2});
    }
    return false;
}

} // namespace salonq::test
