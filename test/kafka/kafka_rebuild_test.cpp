// Rebuilding Kafka mode's projections without downtime (api/serve/rebuilder over engine::runtime::rebuild, reading
// salonq.events through a topic_log_reader of its own): an api instance (`serve --role api`) and an engine worker,
// real processes over a real broker. A history of simulated salons (h-*) is decided; then the queue views, the stats
// and the loyalty ledger of instance A are rebuilt, all three at once, while walk-ins keep coming: simulated salons
// t-* produced to salonq.commands, and walk-ins served and completed over A's HTTP API for salon r1. Afterwards:
// - the h-* salons' views and stats are the bytes they were before the rebuild;
// - every salon's views and stats and every customer's ledger on A equal those of instance B, started afterwards,
//   which folds the whole log from offset 0 (nothing lost or folded twice during the swap);
// - r1's customer has exactly 2 points per completion;
// - A restarted resumes from the rebuilt generations (views.1, stats.1, loyalty.1) and their offsets: it reads no
//   record of the history again, answers the same, and folds what comes next once.
// And `salonq projections rebuild NAME --brokers B` (the command line, with the instance stopped) rebuilds each of
// an instance's stores in its --data from salonq.events: restarted, it answers byte for byte as before and reads no
// record again; while it runs, the command refuses and names the route; without --brokers it refuses the
// instance's directory (no embedded engine's log there) and says to give them.

#include "test/support/broker.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_salon.hpp"
#include "test/support/json_at.hpp"
#include "test/support/kafka_api.hpp"

#include "engine/codec/json_writer.hpp"
#include "engine/domain/calendar.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

constexpr int partitions = 4;
std::string const live_salon = "/v1/salons/r1";
std::string const live_customer = "cust-r";

// The days the stats are compared over: the simulator's (from 2026-11-01 in every time zone) to tomorrow.
std::string stats_range() {
    auto const to = std::max(london_today() + 1, salonq::engine::local_day{20758 + 2});
    auto const from = std::max(salonq::engine::local_day{20758}, to - 365);
    return "?from=" + salonq::engine::codec::format_day(from) + "&to=" + salonq::engine::codec::format_day(to);
}

// The distinct matches of a grep -o pattern in the simulated commands of `dir`, less `head` characters in front and
// `tail` behind.
std::vector<std::string> ids_in(temp_dir const& dir, std::string const& pattern, std::size_t head, std::size_t tail) {
    auto const out = run_capture("grep -o '" + pattern + "' '" + (dir / "cmds.jsonl") + "' | sort -u");
    std::vector<std::string> ids;
    std::istringstream in{out};
    for (std::string line; std::getline(in, line);) {
        ids.push_back(line.substr(head, line.size() - head - tail));
    }
    return ids;
}
std::vector<std::string> salons_in(temp_dir const& dir) { return ids_in(dir, R"("salonId":"[^"]*")", 11, 1); }
std::vector<std::string> customers_in(temp_dir const& dir) { return ids_in(dir, R"("customerId":"[^"]*")", 14, 1); }

// A walk-in of the live salon's customer, started by ana and completed for 25 euros (2 points); false if any step
// was refused (called off the test's thread: no REQUIRE there).
bool served(http_client& c, std::int64_t ticket) {
    auto const walk_in = c.post(live_salon + "/walk-ins", R"({"customer":{"name":"Ann","customerId":")" +
                                                              live_customer + R"("},"services":["HC"]})");
    if (walk_in.status != 201) {
        return false;
    }
    auto const t = live_salon + "/tickets/" + std::to_string(ticket);
    return c.post(t + "/start", R"({"staffId":"ana"})").status == 200 &&
           c.post(t + "/complete", R"({"amountCents":2500})").status == 200;
}

// Until the stats and the ledger of the instance are 0 events behind salonq.events and the views at most a commit
// marker a partition (their gauge counts the marker after a partition's last record).
void caught_up(http_client& c) {
    auto const current = [&c] {
        return metric(c, "salonq_projection_lag_events") <= partitions && metric(c, "salonq_stats_lag_events") == 0 &&
               metric(c, "salonq_loyalty_lag_events") == 0;
    };
    auto const deadline = std::chrono::steady_clock::now() + 60s;
    while (!current() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(100ms);
    }
    REQUIRE(metric(c, "salonq_projection_lag_events") <= partitions);
    REQUIRE(metric(c, "salonq_stats_lag_events") == 0);
    REQUIRE(metric(c, "salonq_loyalty_lag_events") == 0);
}

// What an instance answers for the salons (queue and stats) and the customers (ledger), by target.
std::map<std::string, std::string> answers(http_client& c, std::vector<std::string> const& salons,
                                           std::vector<std::string> const& customers) {
    std::map<std::string, std::string> out;
    auto const keep = [&](std::string const& target) {
        auto const r = c.get(target);
        out[target] = std::to_string(r.status) + " " + r.body;
    };
    for (auto const& s : salons) {
        keep("/v1/salons/" + s + "/queue");
        keep("/v1/salons/" + s + "/stats" + stats_range());
    }
    for (auto const& id : customers) {
        keep("/v1/customers/" + id + "/loyalty");
    }
    return out;
}

// What `c` answers once it equals `expected` (the views may still fold a last record), at most 20 s.
std::map<std::string, std::string> answers_like(http_client& c, std::map<std::string, std::string> const& expected,
                                                std::vector<std::string> const& salons,
                                                std::vector<std::string> const& customers) {
    auto const deadline = std::chrono::steady_clock::now() + 20s;
    auto got = answers(c, salons, customers);
    while (got != expected && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(200ms);
        got = answers(c, salons, customers);
    }
    return got;
}

// The targets on which two sets of answers differ (at most a few, for the message).
std::string differences(std::map<std::string, std::string> const& a, std::map<std::string, std::string> const& b) {
    std::string out;
    int shown = 0;
    for (auto const& [target, answer] : a) {
        auto const it = b.find(target);
        if (it == b.end() || it->second != answer) {
            if (++shown <= 3) {
                out += target + "\n  " + answer.substr(0, 600) + "\n  " +
                       (it == b.end() ? std::string{"(none)"} : it->second.substr(0, 600)) + "\n";
            }
        }
    }
    if (shown > 3) {
        out += std::to_string(shown - 3) + " more\n";
    }
    return out;
}

// `salonq --data <data> projections rebuild <name> --brokers B`: its exit code and output (stdout and stderr).
struct cli_result {
    int code = -1;
    std::string output;
};
// Without `with_brokers`, the embedded mode's command (no --brokers).
cli_result cli_rebuild(kafka_broker const& broker, std::string const& data, std::string const& name,
                       bool with_brokers = true) {
    auto const out = broker.dir() / "rebuild.out";
    std::vector<std::string> argv{salonq_binary(), "--data", data, "projections", "rebuild", name};
    if (with_brokers) {
        argv.insert(argv.end(), {"--brokers", broker.bootstrap()});
    }
    child_process run{argv, out, true};
    cli_result r;
    r.code = run.wait();
    std::ifstream in{out};
    r.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
}

// The generation <data>/<name>.current names ("" without one).
std::string current_generation(std::string const& data, std::string const& name) {
    std::ifstream in{data + "/" + name + ".current"};
    std::string line;
    std::getline(in, line);
    return line;
}

// What an instance answers for some simulated commands' outcomes (the views' outcome index in Kafka mode): the
// simulator's commandIds are the salon's id and -c<n>.
std::map<std::string, std::string> outcomes(http_client& c, std::vector<std::string> const& simulated_salons) {
    std::map<std::string, std::string> out;
    for (auto const& s : simulated_salons) {
        for (auto const* n : {"-c1", "-c20"}) {
            auto const target = "/v1/salons/" + s + "/commands/" + s + n;
            auto const r = c.get(target);
            out[target] = std::to_string(r.status) + " " + r.body;
        }
    }
    return out;
}

bool has(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

// GET /v1/admin/projections until no rebuild runs, at most `limit`; the last answer.
http_answer rebuilds_finished(http_client& c, std::chrono::seconds limit) {
    auto const deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto r = c.get("/v1/admin/projections");
        bool const running = r.body.find(R"("state":"running")") != std::string::npos;
        if (r.status != 200 || !running || std::chrono::steady_clock::now() > deadline) {
            return r;
        }
        std::this_thread::sleep_for(50ms);
    }
}

} // namespace

TEST_CASE("kafka rebuild: views, stats and ledger rebuilt while walk-ins flow; equal to a fold of the log; resumed") {
    kafka_broker broker;
    create_topics(broker.bootstrap(), partitions);
    temp_dir history;
    temp_dir traffic;
    simulated_commands(history, "--salons 40 --days 3 --seed 41 --prefix h");
    simulated_commands(traffic, "--salons 12 --days 1 --seed 43 --prefix t");
    auto w1 = start_worker(broker, "w1", {"--session-timeout-ms", "3000"});
    auto const keyring = broker.dir() / "keyring.json";
    auto const admin = issue_token(broker.dir() / "cli", keyring, {"--role", "admin", "--all-salons"});

    auto a = std::make_unique<api_instance>(broker, "a", keyring);
    a->wait_ready(60s);
    http_client ca{a->port(), admin};
    kcat_produce(broker.bootstrap(), history / "keyed.tsv");
    open_salon_over_http(ca, live_salon);
    int ticket = 0;
    for (; ticket < 3;) {
        REQUIRE(served(ca, ++ticket));
    }
    std::string report;
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 180s, report), report);
    caught_up(ca);
    auto const history_salons = salons_in(history);
    REQUIRE(history_salons.size() == 40);
    auto const before = answers(ca, history_salons, {});
    auto const listed = ca.get("/v1/admin/projections");
    REQUIRE_MESSAGE(listed.status == 200, listed.body);
    for (int i = 0; i < 3; ++i) {
        auto const at = "/projections/" + std::to_string(i);
        CHECK(text_at(listed.body, at + "/state") == "idle");
        CHECK(text_at(listed.body, at + "/directory") == text_at(listed.body, at + "/name"));
    }

    // Walk-ins flow while all three rebuild: r1's over A's HTTP API, and simulated salons' through salonq.commands.
    std::atomic<bool> stop{false};
    std::atomic<int> refused{0};
    std::atomic<int> served_count{ticket};
    std::thread walk_ins{[&, port = a->port()] {
        http_client c{port, admin};
        while (!stop) {
            if (!served(c, served_count + 1)) {
                ++refused;
                return;
            }
            ++served_count;
        }
    }};
    std::this_thread::sleep_for(300ms);
    auto const served_at_start = served_count.load();
    for (auto const* name : {"views", "stats", "loyalty"}) {
        auto const started = ca.post(std::string{"/v1/admin/projections/"} + name + "/rebuild", "");
        CHECK_MESSAGE(started.status == 202, started.body);
    }
    auto producer = kcat_produce_async(broker.bootstrap(), traffic / "keyed.tsv", broker.dir() / "kcat.log");
    auto const done = rebuilds_finished(ca, 180s);
    auto const served_during = served_count.load() - served_at_start;
    std::this_thread::sleep_for(300ms);
    stop = true;
    walk_ins.join();
    CHECK(producer->wait() == 0);
    REQUIRE(refused == 0);
    CHECK(served_during > 0);
    REQUIRE_MESSAGE(done.status == 200, done.body);
    for (int i = 0; i < 3; ++i) {
        auto const at = "/projections/" + std::to_string(i);
        CHECK_MESSAGE(text_at(done.body, at + "/state") == "done", done.body);
        CHECK(text_at(done.body, at + "/directory") == text_at(done.body, at + "/name") + ".1");
        CHECK(int_at(done.body, at + "/total") > 1000);
        CHECK(int_at(done.body, at + "/read") == int_at(done.body, at + "/total")); // offsets, markers too
    }
    MESSAGE("rebuilt while " << served_during << " walk-ins were served over HTTP: " << done.body);

    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 180s, report), report);
    caught_up(ca);
    auto const ticket_count = std::int64_t{served_count.load()};
    auto const ledger = ca.get("/v1/customers/" + live_customer + "/loyalty");
    CHECK_MESSAGE(int_at(ledger.body, "/balance") == 2 * ticket_count, ledger.body);

    // The history's salons are as they were; everything equals a fold of the whole log by a new instance.
    auto const after = answers(ca, history_salons, {});
    CHECK_MESSAGE(after == before, differences(before, after));
    auto salons = history_salons;
    auto const traffic_salons = salons_in(traffic);
    salons.insert(salons.end(), traffic_salons.begin(), traffic_salons.end());
    salons.emplace_back("r1");
    auto customers = customers_in(history);
    auto const traffic_customers = customers_in(traffic);
    customers.insert(customers.end(), traffic_customers.begin(), traffic_customers.end());
    customers.push_back(live_customer);
    std::ranges::sort(customers);
    customers.erase(std::ranges::unique(customers).begin(), customers.end());
    REQUIRE(customers.size() > 50);
    api_instance b{broker, "b", keyring};
    b.wait_ready(60s);
    http_client cb{b.port(), admin};
    caught_up(cb);
    auto const folded = answers(cb, salons, customers);
    auto const rebuilt = answers_like(ca, folded, salons, customers);
    CHECK_MESSAGE(rebuilt == folded, differences(rebuilt, folded));

    // A restarted resumes from the rebuilt generations: nothing of the history is read again.
    REQUIRE(a->stop() == 0);
    a = std::make_unique<api_instance>(broker, "a", keyring);
    a->wait_ready(60s);
    http_client ca2{a->port(), admin};
    auto const resumed = ca2.get("/v1/admin/projections");
    for (int i = 0; i < 3; ++i) {
        auto const at = "/projections/" + std::to_string(i);
        CHECK_MESSAGE(text_at(resumed.body, at + "/directory") == text_at(resumed.body, at + "/name") + ".1",
                      resumed.body);
    }
    caught_up(ca2);
    CHECK(metric(ca2, "salonq_projection_records_read") == 0);
    CHECK(metric(ca2, "salonq_stats_records_read") == 0);
    CHECK(metric(ca2, "salonq_loyalty_records_read") == 0);
    auto const restarted = answers_like(ca2, folded, salons, customers);
    CHECK_MESSAGE(restarted == folded, differences(folded, restarted));
    // What comes next is folded once.
    REQUIRE(served(ca2, ticket_count + 1));
    auto const deadline = std::chrono::steady_clock::now() + 20s;
    auto balance = int_at(ca2.get("/v1/customers/" + live_customer + "/loyalty").body, "/balance");
    while (balance != 2 * (ticket_count + 1) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
        balance = int_at(ca2.get("/v1/customers/" + live_customer + "/loyalty").body, "/balance");
    }
    CHECK(balance == 2 * (ticket_count + 1));
    http_client cb2{b.port(), admin}; // the first connection may have been idle past the server's timeout
    caught_up(ca2);
    caught_up(cb2);
    auto const next_b = answers(cb2, {"r1"}, {live_customer});
    auto const next_a = answers_like(ca2, next_b, {"r1"}, {live_customer});
    CHECK_MESSAGE(next_a == next_b, differences(next_a, next_b));

    CHECK(a->stop() == 0);
    CHECK(b.stop() == 0);
    w1->kill(SIGTERM);
    CHECK(w1->wait() == 0);
}

TEST_CASE("kafka rebuild: the command line rebuilds a stopped api instance's stores from salonq.events") {
    api_cluster cluster{partitions};
    auto const& broker = cluster.broker;
    auto const& keyring = cluster.keyring;
    auto const& admin = cluster.admin;
    temp_dir history;
    simulated_commands(history, "--salons 12 --days 2 --seed 47 --prefix c");
    auto const data = broker.dir() / "a";

    auto a = std::make_unique<api_instance>(broker, "a", keyring);
    a->wait_ready(60s);
    http_client ca{a->port(), admin};
    kcat_produce(broker.bootstrap(), history / "keyed.tsv");
    open_salon_over_http(ca, live_salon);
    for (int ticket = 1; ticket <= 3; ++ticket) {
        REQUIRE(served(ca, ticket));
    }
    std::string report;
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 180s, report), report);
    caught_up(ca);
    auto salons = salons_in(history);
    REQUIRE(salons.size() == 12);
    salons.emplace_back("r1");
    auto customers = customers_in(history);
    REQUIRE(customers.size() > 10);
    customers.push_back(live_customer);
    auto before = answers(ca, salons, customers);
    before.merge(outcomes(ca, salons_in(history)));
    REQUIRE(before.size() == salons.size() * 2 + customers.size() + (salons.size() - 1) * 2);
    CHECK(before.at("/v1/salons/" + salons[0] + "/commands/" + salons[0] + "-c20").starts_with("201 "));

    // While the instance runs, its stores are taken: the command says to rebuild through it, and changes nothing.
    for (std::string const name : {"views", "stats", "loyalty"}) {
        CAPTURE(name);
        auto const refused = cli_rebuild(broker, data, name);
        CHECK(refused.code == 2);
        CHECK_MESSAGE(has(refused.output, "a running salonq serve has the " + name + " open"), refused.output);
        CHECK_MESSAGE(has(refused.output, "/v1/admin/projections/" + name + "/rebuild"), refused.output);
        CHECK(current_generation(data, name).empty());
    }
    // A directory that holds no instance's stores is not made one.
    auto const elsewhere = cli_rebuild(broker, broker.dir() / "nothing", "stats");
    CHECK(elsewhere.code == 2);
    CHECK_MESSAGE(has(elsewhere.output, "nothing to rebuild in "), elsewhere.output);
    CHECK_FALSE(std::filesystem::exists(broker.dir() / "nothing"));

    REQUIRE(a->stop() == 0);
    // Without --brokers the command would fold an embedded engine's log: the instance's directory has none, and the
    // refusal says to give --brokers.
    auto const embedded = cli_rebuild(broker, data, "stats", false);
    CHECK(embedded.code == 2);
    CHECK_MESSAGE(has(embedded.output, data + " holds no embedded engine's log but an api instance's stores"),
                  embedded.output);
    CHECK_MESSAGE(has(embedded.output, "with --brokers H:P"), embedded.output);
    CHECK(current_generation(data, "stats").empty());

    for (std::string const name : {"views", "stats", "loyalty"}) {
        CAPTURE(name);
        auto const rebuilt = cli_rebuild(broker, data, name);
        CHECK_MESSAGE(rebuilt.code == 0, rebuilt.output);
        CHECK_MESSAGE(has(rebuilt.output, "rebuild " + name + ": "), rebuilt.output); // the progress lines
        CHECK(has(rebuilt.output, " entries read, "));
        CHECK_MESSAGE(has(rebuilt.output,
                          "salonq projections rebuild: " + name + " rebuilt into " + data + "/" + name + ".1 from "),
                      rebuilt.output);
        CHECK(current_generation(data, name) == name + ".1");
        CHECK_FALSE(std::filesystem::exists(data + "/" + name));
    }

    // Restarted, the instance opens the rebuilt generations, reads no record again and answers as before.
    a = std::make_unique<api_instance>(broker, "a", keyring);
    a->wait_ready(60s);
    http_client ca2{a->port(), admin};
    caught_up(ca2);
    auto const listed = ca2.get("/v1/admin/projections");
    for (int i = 0; i < 3; ++i) {
        auto const at = "/projections/" + std::to_string(i);
        CHECK_MESSAGE(text_at(listed.body, at + "/directory") == text_at(listed.body, at + "/name") + ".1",
                      listed.body);
    }
    CHECK(metric(ca2, "salonq_projection_records_read") == 0);
    CHECK(metric(ca2, "salonq_stats_records_read") == 0);
    CHECK(metric(ca2, "salonq_loyalty_records_read") == 0);
    auto after = answers(ca2, salons, customers);
    after.merge(outcomes(ca2, salons_in(history)));
    CHECK_MESSAGE(after == before, differences(before, after));
    // What comes next is folded once.
    REQUIRE(served(ca2, 4));
    auto const deadline = std::chrono::steady_clock::now() + 20s;
    auto balance = int_at(ca2.get("/v1/customers/" + live_customer + "/loyalty").body, "/balance");
    while (balance != 8 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
        balance = int_at(ca2.get("/v1/customers/" + live_customer + "/loyalty").body, "/balance");
    }
    CHECK(balance == 8);

    CHECK(a->stop() == 0);
    CHECK(cluster.stop_worker() == 0);
}
