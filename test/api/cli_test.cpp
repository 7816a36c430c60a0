// The salonq command line in child processes (embedded mode): submit as a conversation over a pipe, its line
// numbers, the read-only commands (events, state, verify) beside a running submit and on a mistyped --data;
// `projections rebuild [views|stats|loyalty]` with the server stopped (progress lines, a bar on a terminal, the new
// generation current) and refused, naming the route, while a `salonq serve` holds the store; with --brokers (Kafka
// mode, an api instance's stores) refused on an embedded engine's data directory.

#include "test/support/piped_process.hpp"
#include "test/support/process.hpp"
#include "test/support/serve_process.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace cli_test {

namespace {

using namespace std::chrono_literals;
using salonq::test::child_process;
using salonq::test::piped_process;
using salonq::test::salonq_binary;
using salonq::test::temp_dir;

// Generous: the machine may be busy. A submit that holds an answer back until the next line never answers.
constexpr auto answer_time = 20s;

std::string const register_s1 =
    R"({"type":"register_salon","commandId":"r1","salonId":"s1","payload":{"name":"A","timezone":"UTC"}})";
std::string const add_staff_s1 =
    R"({"type":"add_staff","commandId":"a1","salonId":"s1","payload":{"staffId":"st1","name":"Ann","role":"staff"}})";

struct result {
    int code = -1;
    std::string output; // stdout and stderr
};

result run(temp_dir const& dir, std::vector<std::string> const& argv) {
    child_process run(argv, dir / "run.out", true);
    result r;
    r.code = run.wait();
    std::ifstream in{dir / "run.out"};
    r.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
}

result run_salonq(temp_dir const& dir, std::vector<std::string> args) {
    args.insert(args.begin(), salonq_binary());
    return run(dir, args);
}

bool has(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

// salonq projections rebuild NAME on the data directory <dir>/data.
result rebuild(temp_dir const& dir, std::string const& name, std::vector<std::string> const& more = {}) {
    std::vector<std::string> argv{salonq_binary(), "--data", dir / "data", "projections", "rebuild", name};
    argv.insert(argv.end(), more.begin(), more.end());
    return run(dir, argv);
}

std::string current(temp_dir const& dir, std::string const& name) {
    std::ifstream in{dir / ("data/" + name + ".current")};
    std::string line;
    std::getline(in, line);
    return line;
}

} // namespace

TEST_CASE("cli: submit over a pipe answers each command before the next line arrives") {
    temp_dir dir;
    piped_process submit({salonq_binary(), "--data", dir / "data", "submit", "-"});
    REQUIRE(submit.started());

    REQUIRE(submit.write(register_s1 + "\n"));
    auto first = submit.read_line(answer_time);
    REQUIRE_MESSAGE(first, "no answer to the first command while stdin stays open");
    CHECK(has(*first, R"("line":1,"commandId":"r1")"));
    CHECK(has(*first, R"("status":"accepted")"));

    REQUIRE(submit.write(add_staff_s1 + "\n"));
    auto second = submit.read_line(answer_time);
    REQUIRE_MESSAGE(second, "no answer to the second command while stdin stays open");
    CHECK(has(*second, R"("line":2,"commandId":"a1")"));
    CHECK(has(*second, R"("status":"accepted")"));

    submit.close_stdin();
    CHECK_FALSE(submit.read_line(answer_time)); // nothing more: the output ends
    CHECK(submit.wait() == 0);
}

TEST_CASE("cli: an outcome's line is the physical line number, blank lines counted") {
    temp_dir dir;
    {
        std::ofstream out{dir / "in.jsonl"};
        out << "\n" << register_s1 << "\n   \n\r\n" << add_staff_s1 << "\n\n{\"type\":\n";
    }
    auto const r = run_salonq(dir, {"--data", dir / "data", "submit", dir / "in.jsonl"});
    CHECK(r.code == 1); // the last line is invalid
    INFO(r.output);
    CHECK(has(r.output, R"({"line":2,"commandId":"r1")"));
    CHECK(has(r.output, R"({"line":5,"commandId":"a1")"));
    CHECK(has(r.output, R"({"line":7,"status":"invalid")"));
}

TEST_CASE("cli: events, state and verify refuse a data directory that is not there, and create nothing") {
    temp_dir dir;
    auto const missing = dir / "mistyped";
    for (std::vector<std::string> const& command : {std::vector<std::string>{"events"}, {"state", "s1"}, {"verify"}}) {
        CAPTURE(command.front());
        std::vector<std::string> args{"--data", missing};
        args.insert(args.end(), command.begin(), command.end());
        auto const r = run_salonq(dir, args);
        CHECK(r.code == 2);
        CHECK(r.output == "salonq " + command.front() + ": no log to read: " + missing +
                              " does not exist; check --data or SALONQ_DATA\n");
        CHECK_FALSE(std::filesystem::exists(missing));
    }
    // --data after the subcommand, as people type it, is the same option.
    auto const after = run_salonq(dir, {"verify", "--data", missing});
    CHECK(after.code == 2);
    CHECK(after.output.find("no log to read: " + missing + " does not exist") != std::string::npos);
}

TEST_CASE("cli: the data directory and everything in it are the user's alone, whatever the umask") {
    temp_dir dir;
    std::ofstream{dir / "in.jsonl"} << register_s1 << "\n" << add_staff_s1 << "\n";
    auto const before = ::umask(022); // the usual shell's: the children inherit it
    auto const r = run_salonq(dir, {"--data", dir / "data", "submit", dir / "in.jsonl"});
    ::umask(before);
    REQUIRE(r.code == 0);
    namespace fs = std::filesystem;
    std::size_t seen = 0;
    for (auto const& e : fs::recursive_directory_iterator(dir / "data")) {
        auto const others = e.status().permissions() & (fs::perms::group_all | fs::perms::others_all);
        CAPTURE(e.path().string());
        CHECK(others == fs::perms::none); // names and phones: 0600 files, 0700 directories
        ++seen;
    }
    CHECK(seen > 3);
    CHECK((fs::status(dir / "data").permissions() & fs::perms::others_all) == fs::perms::none);
}

TEST_CASE("cli: serve --listen takes an IPv6 address in brackets and prints its URL so; bare is refused") {
    temp_dir dir;
    piped_process serve({salonq_binary(), "--data", dir / "data", "serve", "--listen", "[::1]:0"});
    auto const line = serve.read_line(answer_time);
    REQUIRE(line);
    CHECK(line->starts_with("salonq: serving http://[::1]:"));
    serve.kill(SIGTERM); // at once: the line is printed once SIGTERM is caught, so it stops gracefully (exit 0)
    CHECK(serve.wait() == 0);
    auto const bare = run_salonq(dir, {"--data", dir / "data", "serve", "--listen", "::1:0"});
    CHECK(bare.code == 2);
    CHECK(bare.output.find("[::1]:0") != std::string::npos);
}

TEST_CASE("cli: under --log-format json a serve that cannot start says why in a JSON line") {
    temp_dir dir;
    auto const r = run_salonq(dir, {"--data", dir / "data", "--log-format", "json", "serve", "--listen", "nowhere"});
    CHECK(r.code == 2);
    REQUIRE_FALSE(r.output.empty());
    std::istringstream lines{r.output};
    for (std::string line; std::getline(lines, line);) {
        CAPTURE(line);
        CHECK(line.starts_with("{\"ts\":"));
        CHECK(has(line, R"("level":"error","component":"serve")"));
        CHECK(has(line, "nowhere"));
    }
}

TEST_CASE("cli: --version says which salonq this is") {
    temp_dir dir;
    auto const r = run_salonq(dir, {"--version"});
    CHECK(r.code == 0);
    CHECK(r.output.starts_with("salonq 0."));
}

TEST_CASE("cli: a --data that is a file is said to be one, not missing") {
    temp_dir dir;
    auto const file = dir / "afile";
    std::ofstream{file} << "not a log\n";
    auto const r = run_salonq(dir, {"--data", file, "verify"});
    CHECK(r.code == 2);
    CHECK(r.output.find(file + " is not a directory") != std::string::npos);
}

TEST_CASE("cli: a --config file with a key or section salonq does not know is refused, naming it") {
    temp_dir dir;
    for (auto const& [text, named] :
         {std::pair{"[serve]\nlisen = \"127.0.0.1:0\"\n", "serve.lisen"},
          std::pair{"[srve]\nlisten = \"127.0.0.1:0\"\n", "srve"}, std::pair{"colour = \"blue\"\n", "colour"}}) {
        CAPTURE(text);
        std::ofstream{dir / "salonq.toml"} << text;
        // (Refused before it would serve: a misspelt section used to serve on the default 127.0.0.1:8080.)
        auto const r = run_salonq(dir, {"--config", dir / "salonq.toml", "--data", dir / "d", "serve"});
        CHECK(r.code == 2);
        CHECK(r.output.find(named) != std::string::npos);
    }
}

TEST_CASE("cli: events, state and verify work beside a running submit, and a second writer is told who holds "
          "the log") {
    temp_dir dir;
    auto const data = dir / "data";
    piped_process submit({salonq_binary(), "--data", data, "submit", "-"});
    REQUIRE(submit.write(register_s1 + "\n"));
    REQUIRE(submit.read_line(answer_time)); // the log exists and the submit holds it

    auto const state = run_salonq(dir, {"--data", data, "state", "s1"});
    CHECK(state.code == 0);
    CHECK(has(state.output, R"("seq":1,)"));
    auto const events = run_salonq(dir, {"--data", data, "events", "--salon", "s1"});
    CHECK(events.code == 0);
    CHECK(has(events.output, R"("type":"salon_registered")"));
    auto const verify = run_salonq(dir, {"--data", data, "verify"});
    CHECK(verify.code == 0);
    CHECK(has(verify.output, "verify: ok"));

    auto const second = run_salonq(dir, {"--data", data, "submit", "-"});
    CHECK(second.code == 2);
    CHECK(has(second.output, "another salonq process holds the log at " + data));

    REQUIRE(submit.write(add_staff_s1 + "\n"));
    REQUIRE(submit.read_line(answer_time));
    auto const later = run_salonq(dir, {"--data", data, "state", "s1"}); // a new view sees the later write
    CHECK(has(later.output, R"("seq":2,)"));
    CHECK(run_salonq(dir, {"--data", data, "verify"}).code == 0);

    submit.close_stdin();
    CHECK(submit.wait() == 0);
}

TEST_CASE("cli: without --data the log lives under $XDG_DATA_HOME, else ~/.local/share") {
    temp_dir dir;
    auto const in_xdg =
        run(dir, {"/usr/bin/env", "-u", "SALONQ_DATA", "XDG_DATA_HOME=" + dir / "xdg", salonq_binary(), "state", "s1"});
    CHECK(has(in_xdg.output, "no log to read: " + dir / "xdg/salonq does not exist"));
    auto const in_home = run(dir, {"/usr/bin/env", "-u", "SALONQ_DATA", "-u", "XDG_DATA_HOME", "HOME=" + dir / "home",
                                   salonq_binary(), "state", "s1"});
    CHECK(has(in_home.output, "no log to read: " + dir / "home/.local/share/salonq does not exist"));
}

TEST_CASE("cli: a second demo on the same data says what it added and what the log holds") {
    temp_dir dir;
    auto const first = run_salonq(dir, {"--data", dir / "data", "demo"});
    REQUIRE(first.code == 0);
    CHECK(has(first.output, "the log there is new and holds these 3 salons"));
    auto const second = run_salonq(dir, {"--data", dir / "data", "demo"});
    REQUIRE(second.code == 0);
    CHECK(has(second.output, "salonq demo: 3 new salons ("));
    CHECK(has(second.output, "the log there already had 3 salons from earlier runs and now holds 6"));
    auto const verify = run_salonq(dir, {"--data", dir / "data", "verify"});
    CHECK(verify.code == 0);
    CHECK(has(verify.output, "salons 6 "));
}

TEST_CASE("cli: projections rebuild stats and loyalty: progress, a new generation made current, the old removed") {
    temp_dir dir;
    REQUIRE(run(dir, {salonq_binary(), "--data", dir / "data", "demo"}).code == 0);
    for (std::string const name : {"stats", "loyalty", "views"}) {
        CAPTURE(name);
        auto const r = rebuild(dir, name);
        CHECK(r.code == 0);
        CHECK(has(r.output, "rebuild " + name + ": ")); // plain lines off a terminal, then the summary
        CHECK(has(r.output, " entries read, "));
        CHECK_FALSE(has(r.output, "\r"));
        CHECK(has(r.output,
                  "salonq projections rebuild: " + name + " rebuilt into " + dir / ("data/" + name) + ".1 from "));
        CHECK(current(dir, name) == name + ".1");
        CHECK_FALSE(std::filesystem::exists(dir / ("data/" + name)));
    }
    auto const quiet = rebuild(dir, "stats", {"--quiet"});
    CHECK(quiet.code == 0);
    CHECK_FALSE(has(quiet.output, "entries read"));
    CHECK(current(dir, "stats") == "stats.2");
    CHECK_FALSE(std::filesystem::exists(dir / "data/stats.1"));

    // On a terminal (script's pseudo-terminal): a bar redrawn in place.
    auto const bar =
        run(dir, {"/usr/bin/script", "-qec",
                  salonq_binary() + " --data " + dir / "data" + " projections rebuild loyalty", "/dev/null"});
    CHECK(bar.code == 0);
    CHECK(has(bar.output, "\rrebuild loyalty ["));
    CHECK(has(bar.output, "] 100%"));
    CHECK(current(dir, "loyalty") == "loyalty.2");

    auto const unknown = rebuild(dir, "nope");
    CHECK(unknown.code != 0);
    CHECK(has(unknown.output, "nope"));
}

TEST_CASE("cli: projections rebuild refuses while a salonq serve holds the store, and names the route") {
    temp_dir dir;
    auto const data = dir / "data";
    REQUIRE(run(dir, {salonq_binary(), "--data", data, "demo"}).code == 0);
    REQUIRE(rebuild(dir, "stats").code == 0); // the serve opens the current generation
    piped_process serve{salonq::test::serve_argv(data)};
    std::ignore = salonq::test::start_serve(serve);
    for (auto const& [name, directory] : {std::pair{"stats", "stats.1"}, {"loyalty", "loyalty"}, {"views", "views"}}) {
        CAPTURE(name);
        auto const r = rebuild(dir, name);
        CHECK(r.code == 2);
        CHECK(has(r.output, std::string{"a running salonq serve has the "} + directory + " open"));
        CHECK(has(r.output, std::string{"/v1/admin/projections/"} + name + "/rebuild"));
    }
    serve.kill(SIGTERM); // at once: the line is printed once SIGTERM is caught, so it stops gracefully (exit 0)
    CHECK(serve.wait() == 0);
    CHECK(current(dir, "stats") == "stats.1"); // nothing changed
    CHECK(std::filesystem::exists(dir / "data/stats.1"));
    CHECK(rebuild(dir, "loyalty").code == 0); // and with the server stopped it goes on
}

TEST_CASE("cli: projections rebuild --brokers refuses an embedded engine's data directory before reaching Kafka") {
    temp_dir dir;
    REQUIRE(run(dir, {salonq_binary(), "--data", dir / "data", "demo"}).code == 0);
    // Nothing listens there: the refusal comes before any broker is asked (which would take the Kafka timeout).
    auto const started = std::chrono::steady_clock::now();
    auto const r = rebuild(dir, "stats", {"--brokers", "127.0.0.1:9"});
    CHECK(r.code == 2);
    CHECK_MESSAGE(has(r.output, dir / "data" + " holds an embedded engine's log"), r.output);
    CHECK_MESSAGE(has(r.output, "rebuild them without --brokers"), r.output);
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK(current(dir, "stats").empty()); // nothing changed
    CHECK_FALSE(std::filesystem::exists(dir / "data/stats.1"));
    CHECK(rebuild(dir, "stats").code == 0); // without --brokers it goes on
}

} // namespace cli_test
