// What a POS vendor meets on the commands topic, with kcat as the POS: a command keyed by another salon (one
// that murmur2 puts on the same partition) and one with no key on an explicit partition are answered with
// command_invalid (wrong_key) and never decided; a message that does not decode is answered with the commandId
// it carried, so the POS can match the refusal to its command.

#include "engine/log/partitioner.hpp"
#include "test/support/broker.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

constexpr int partitions = 4;

std::string command(std::string const& type, std::string const& id, std::string const& payload,
                    std::string const& extra = "") {
    return R"({"type":")" + type + R"(","commandId":")" + id + R"(","salonId":"pos-salon",)" + extra +
           R"("actor":{"kind":"system","id":"onboarding"},"payload":)" + payload + "}";
}

// The record of the events topic that answers `command_id` (read_committed, as a POS reads it).
std::string answer_to(kafka_broker const& broker, std::string const& command_id) {
    return run_capture("kcat -b " + broker.bootstrap() +
                       " -C -t salonq.events -e -q -X isolation.level=read_committed | grep -F '\"commandId\":\"" +
                       command_id + "\"' || true");
}

} // namespace

TEST_CASE("kafka: commands keyed wrongly or not at all are refused with wrong_key and carry their commandId") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), partitions);
    auto const home = salonq::engine::log::partition_for("pos-salon", partitions);
    std::string other;
    for (int i = 0; other.empty(); ++i) {
        auto key = "salon-" + std::to_string(i);
        if (salonq::engine::log::partition_for(key, partitions) == home) {
            other = key;
        }
    }
    auto const reg = command("register_salon", "pos-reg", R"({"name":"Pos","timezone":"Europe/Paris"})");
    auto const keyed_wrongly = command("close_day", "pos-wrong-key", "{}");
    auto const unkeyed = command("close_day", "pos-no-key", "{}");
    auto const unknown_field = command("close_day", "pos-tip", "{}", R"("tip":5,)");
    {
        std::ofstream keyed{dir / "keyed.tsv"};
        keyed << "pos-salon\t" << reg << "\n"
              << other << "\t" << keyed_wrongly << "\npos-salon\t" << unknown_field << "\n";
        std::ofstream plain{dir / "unkeyed.jsonl"};
        plain << unkeyed << "\n";
    }
    kcat_produce(broker.bootstrap(), dir / "keyed.tsv");
    (void)run_capture("kcat -b " + broker.bootstrap() + " -P -t salonq.commands -p " + std::to_string(home) +
                      " -X enable.idempotence=true < '" + (dir / "unkeyed.jsonl") + "'");

    auto worker = start_worker(broker, "w", {"--session-timeout-ms", "3000"});
    std::string report;
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    worker->kill(SIGTERM);
    CHECK(worker->wait() == 0);

    CHECK(answer_to(broker, "pos-reg").find(R"("type":"salon_registered")") != std::string::npos);
    for (auto const* id : {"pos-wrong-key", "pos-no-key"}) {
        auto const answer = answer_to(broker, id);
        CAPTURE(answer);
        CHECK(answer.find(R"("type":"command_invalid")") != std::string::npos);
        CHECK(answer.find(R"("code":"wrong_key")") != std::string::npos);
        CHECK(answer.find(R"("salonId":"pos-salon")") != std::string::npos);
    }
    auto const tip = answer_to(broker, "pos-tip");
    CHECK_MESSAGE(tip.find(R"("code":"unknown_field","path":"tip")") != std::string::npos, tip);
    // None of them reached the salon: its only event is the registration.
    auto const salon_events = run_capture("kcat -b " + broker.bootstrap() +
                                          " -C -t salonq.events -e -q -X isolation.level=read_committed | grep -c "
                                          "'\"seq\":' || true");
    CHECK(salon_events == "1");
}
