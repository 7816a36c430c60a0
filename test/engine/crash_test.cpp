// Crash test: a child process runs 100k+ commands through the embedded engine and is killed with SIGKILL at
// random moments, several times; each restart resubmits everything (clients retry, commandIds make that safe).
// Afterwards every command acknowledged before a kill has exactly the outcome it was acknowledged with, no
// command has two outcomes, and `salonq verify` passes (the stored states, a checkpoint of the log, equal its fold).

#include "test/support/process.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>

namespace {

using salonq::test::child_process;
using salonq::test::salonq_binary;
using salonq::test::temp_dir;

struct ack {
    std::string status;
    std::string entries; // the outcome's entries, as printed
};

std::string field(std::string const& line, std::string const& name) {
    auto const key = "\"" + name + "\":\"";
    auto const at = line.find(key);
    if (at == std::string::npos) {
        return {};
    }
    auto const from = at + key.size();
    return line.substr(from, line.find('"', from) - from);
}

// Complete lines only: a kill can cut the last line short.
// Kills `run` once its output holds `lines` lines; false if it finished first.
bool kill_after_lines(salonq::test::child_process& run, std::string const& out, std::size_t lines) {
    std::ifstream in;
    std::size_t seen = 0;
    std::string line;
    for (int code = 0; !run.finished(code);) {
        if (!in.is_open()) {
            in.open(out);
        }
        in.clear(); // past the end of what was written so far: read on from there
        while (std::getline(in, line)) {
            if (++seen >= lines) {
                run.kill();
                (void)run.wait(); // killed on purpose: its exit status says nothing
                return true;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
    return false;
}

std::map<std::string, ack> read_acks(std::string const& path, std::size_t& lines) {
    std::map<std::string, ack> acks;
    std::ifstream in{path};
    std::string line;
    lines = 0;
    while (std::getline(in, line)) {
        if (in.eof() || line.empty() || line.back() != '}') {
            break;
        }
        ++lines;
        auto const entries = line.find("\"entries\":");
        auto id = field(line, "commandId");
        REQUIRE_MESSAGE(!id.empty(), line);
        acks[id] = ack{field(line, "status"), entries == std::string::npos ? "" : line.substr(entries)};
    }
    return acks;
}

} // namespace

TEST_CASE("crash: kill -9 during 100k+ commands loses and duplicates nothing") {
    temp_dir dir;
    auto const commands = dir / "commands.jsonl";
    auto const data = dir / "data";
    {
        child_process gen({salonq_binary(), "simulate", "--salons", "600", "--days", "1", "--seed", "7", "--emit",
                           commands, "--quiet"},
                          dir / "gen.out");
        REQUIRE(gen.started());
        REQUIRE(gen.wait() == 0);
    }
    std::size_t total = 0;
    {
        std::ifstream in{commands};
        std::string line;
        while (std::getline(in, line)) {
            ++total;
        }
    }
    REQUIRE(total >= 100'000);

    auto const seed = std::random_device{}();
    INFO("seed " << seed);
    std::mt19937 rng{seed};
    std::map<std::string, ack> acknowledged;
    int kills = 0;
    for (int round = 0; round < 8; ++round) {
        auto const out = dir / ("run" + std::to_string(round) + ".out");
        // The salon states are a checkpoint of the log: even rounds sweep every 20 ms (by the clock alone, no budget),
        // so a kill lands in the middle of a sweep; odd ones write none while they run (only at open, after folding
        // what the kill left), so the kill lands between two checkpoints and the next open folds everything since the
        // last. Rounds 2, 3, 6 and 7 run two workers (each sweeps its own partitions, and s/<p> of one may be ahead of
        // the other's); the next round opens the log with one again.
        std::string const interval = round % 2 == 0 ? "20" : "3600000";
        std::string const workers = round % 4 >= 2 ? "2" : "1";
        child_process run({salonq_binary(), "--data", data, "--workers", workers, "--state-checkpoint-ms", interval,
                           "--state-checkpoint-bytes", "0", "submit", commands},
                          out);
        REQUIRE(run.started());
        // Killed once it has answered a random share of the commands: a kill by the clock missed the run on a
        // fast machine, which answered all 111,844 in under a second.
        auto const kill_at = std::uniform_int_distribution<std::size_t>{1'000, total - 1'000}(rng);
        auto const started = std::chrono::steady_clock::now();
        bool const killed = kill_after_lines(run, out, kill_at);
        kills += killed ? 1 : 0;
        auto const delay =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        std::size_t lines = 0;
        for (auto& [id, a] : read_acks(out, lines)) {
            auto [it, inserted] = acknowledged.emplace(id, a);
            if (!inserted) {
                // Acknowledged again after a restart: it must be the same outcome.
                CHECK_MESSAGE(it->second.entries == a.entries, "command " << id << " changed its outcome");
            }
        }
        MESSAGE("round " << round << " (" << workers << " workers, checkpoints every " << interval << " ms)"
                         << std::string{killed ? ": killed after " : ": finished after "} << delay << " ms with "
                         << lines << " acknowledged lines");
    }
    CHECK(kills >= 4);

    auto const final_out = dir / "final.out";
    child_process final_run({salonq_binary(), "--data", data, "submit", commands}, final_out);
    REQUIRE(final_run.wait() == 0);
    std::size_t lines = 0;
    auto const final_acks = read_acks(final_out, lines);
    CHECK(lines == total);
    CHECK(final_acks.size() == total);
    std::size_t compared = 0;
    for (auto const& [id, a] : acknowledged) {
        auto it = final_acks.find(id);
        REQUIRE_MESSAGE(it != final_acks.end(), "acknowledged command " << id << " has no outcome after recovery");
        CHECK_MESSAGE(it->second.entries == a.entries, "command " << id << " has a different outcome after recovery");
        ++compared;
    }
    MESSAGE(compared << " commands acknowledged before a kill, all with their original outcome");
    CHECK(compared > 0);

    child_process verify({salonq_binary(), "--data", data, "verify"}, dir / "verify.out");
    auto const verified = verify.wait();
    std::ifstream report{dir / "verify.out"};
    std::string text((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
    INFO(text);
    CHECK(verified == 0);
    CHECK(text.find("commands " + std::to_string(total) + " ") != std::string::npos);
}
