// `salonq projections rebuild [views|stats|loyalty]` in child processes (embedded mode): with the server stopped it
// folds the log into a new generation and makes it current, with replay's progress output (plain lines off a
// terminal, a bar on one); while a `salonq serve` holds the store it refuses and points to the route.

#include "test/support/piped_process.hpp"
#include "test/support/process.hpp"
#include "test/support/serve_process.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using salonq::test::child_process;
using salonq::test::piped_process;
using salonq::test::salonq_binary;
using salonq::test::temp_dir;

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

result rebuild(temp_dir const& dir, std::string const& name, std::vector<std::string> const& more = {}) {
    std::vector<std::string> argv{salonq_binary(), "--data", dir / "data", "projections", "rebuild", name};
    argv.insert(argv.end(), more.begin(), more.end());
    return run(dir, argv);
}

bool has(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

std::string current(temp_dir const& dir, std::string const& name) {
    std::ifstream in{dir / ("data/" + name + ".current")};
    std::string line;
    std::getline(in, line);
    return line;
}

} // namespace

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
    serve.kill(SIGTERM);
    CHECK(serve.wait() == 0);
    CHECK(current(dir, "stats") == "stats.1"); // nothing changed
    CHECK(std::filesystem::exists(dir / "data/stats.1"));
    CHECK(rebuild(dir, "loyalty").code == 0); // and with the server stopped it goes on
}
