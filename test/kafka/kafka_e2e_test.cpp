// Kafka mode against a real broker: commands produced by kcat (a client we did not write), keyed by salonId,
// decided by an engine worker; events read back with kcat; `salonq verify --brokers` agrees.

#include "test/support/broker.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

} // namespace

TEST_CASE("kafka: commands from kcat are decided once, events read back with kcat, verify agrees") {
    kafka_broker broker;
    REQUIRE_FALSE(broker.bootstrap().empty());
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 4);

    auto const total = simulated_commands(dir, "--salons 12 --days 1 --seed 3");
    REQUIRE(total > 1000);
    {
        // Bad input over Kafka: each gets a command_invalid outcome record, nothing of it reaches a salon.
        std::ofstream bad{dir / "keyed.tsv", std::ios::app};
        bad << "salon-0001\t{\"type\":\"walk_in\",\"commandId\":\"x1\"\n"
            << "salon-0001\t{\"type\":\"walk_in\",\"commandId\":\"x2\",\"salonId\":\"salon-0001\",\"payload\":{"
               "\"customer\":"
               "{\"name\":\"A\"},\"services\":[\"HC\"]},\"extra\":1}\n";
    }
    kcat_produce(broker.bootstrap(), dir / "keyed.tsv");

    {
        // The worker takes its settings from a config file (as a deployment would), librdkafka properties included.
        std::ofstream config{dir / "salonq.toml"};
        config << "[serve]\nbrokers = \"" << broker.bootstrap() << "\"\ninstance = \"w1\"\n"
               << "session-timeout-ms = 3000\nkafka-property = [\"client.id=salonq-e2e\", "
                  "\"socket.keepalive.enable=true\"]\n";
    }
    child_process worker({salonq_binary(), "--data", dir / "w1", "--config", dir / "salonq.toml", "serve"},
                         dir / "w1.log");
    std::string report;
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    CHECK(report.find("command messages " + std::to_string(total + 2)) != std::string::npos);

    // The same commands again: duplicates append nothing (the two malformed messages, with no commandId to
    // recognise them by, get a second command_invalid record each).
    kcat_produce(broker.bootstrap(), dir / "keyed.tsv");
    std::this_thread::sleep_for(3s);
    auto const events = std::stoull(run_capture(
        "kcat -b " + broker.bootstrap() + " -C -t salonq.events -e -q -X isolation.level=read_committed | wc -l"));
    CHECK(events == total + 4);

    // kcat reads what the engine wrote: a salon's first event on the partition its commands went to.
    auto const first =
        run_capture("kcat -b " + broker.bootstrap() +
                    " -C -t salonq.events -e -q -X isolation.level=read_committed -f '%k %s\\n' 2>/dev/null | "
                    "grep -m1 '^salon-0003 '");
    CHECK_MESSAGE(first.find("\"type\":\"salon_registered\"") != std::string::npos, first);
    CHECK_MESSAGE(first.find("\"seq\":1,") != std::string::npos, first);

    // An analyst's replay of the cluster (no consumer group, nothing committed): every entry but the four
    // command_invalid records (no salon's), and one salon's events from seq 1 in order.
    auto const replayed = std::stoull(
        run_capture(salonq_binary() + " replay --brokers " + broker.bootstrap() + " --include-rejections -q | wc -l"));
    CHECK(replayed == events - 4);
    auto const one = run_capture(
        salonq_binary() + " replay --brokers " + broker.bootstrap() +
        " --salon salon-0003 --format csv -q | head -3 | cut -d, -f3-5"); // the CRLF ends the last field // (the CRLF
                                                                          // goes with the last field)
    CHECK_MESSAGE(one.find("type,salonId,seq\nsalon_registered,salon-0003,1\nsalon_configured,salon-0003,2") !=
                      std::string::npos,
                  one);
    auto const daily =
        run_capture(salonq_binary() + " replay --brokers " + broker.bootstrap() + " --report daily -q | wc -l");
    CHECK(std::stoull(daily) == 12 + 1); // 12 salons, one day each, and the header

    worker.kill(SIGTERM);
    CHECK(worker.wait() == 0);
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 30s, report, "--worker-data '" + (dir / "w1") + "'"), report);
}
