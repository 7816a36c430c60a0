// The events topic's retention. `salonq topics create` keeps the events forever (they are the record); where an
// operator gives the topic a retention anyway, a worker that comes back after the retention has deleted the events
// its local state would fold from gives that state up and restores the partitions from salonq.snapshots. Idle
// workers checkpoint their states and write a snapshot round once the last one is older than
// --snapshot-max-age-seconds, so the snapshots reach the end of the events even when no more commands come.

#include "engine/kafka/detail/handles.hpp"
#include "test/support/broker.hpp"
#include "test/support/json_at.hpp"

#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;
using namespace salonq::engine::kafka::detail; // the project's librdkafka holders

// A client of the cluster; a consumer in the engine workers' group (it does not join it) reads their committed
// offsets.
handle_ptr client(std::string const& bootstrap, rd_kafka_type_t type = RD_KAFKA_PRODUCER) {
    char err[512];
    auto* conf = rd_kafka_conf_new();
    REQUIRE(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK);
    REQUIRE(rd_kafka_conf_set(conf, "group.id", "salonq-engine", err, sizeof err) == RD_KAFKA_CONF_OK);
    handle_ptr rk{rd_kafka_new(type, conf, err, sizeof err)};
    REQUIRE_MESSAGE(rk, err);
    return rk;
}

// The end offset of each partition of a topic.
std::map<std::int32_t, std::int64_t> ends_of(rd_kafka_t* rk, char const* topic, int partitions) {
    std::map<std::int32_t, std::int64_t> ends;
    for (std::int32_t p = 0; p < partitions; ++p) {
        std::int64_t low = 0, high = 0;
        REQUIRE(rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
        ends[p] = high;
    }
    return ends;
}

// Waits until the workers have committed every command produced so far (decided or recognised as a repeat).
bool all_consumed(std::string const& bootstrap, int partitions, std::chrono::seconds limit) {
    auto consumer = client(bootstrap, RD_KAFKA_CONSUMER);
    auto const ends = ends_of(consumer.get(), "salonq.commands", partitions);
    for (auto const until = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < until;) {
        partition_list_ptr list{rd_kafka_topic_partition_list_new(partitions)};
        for (std::int32_t p = 0; p < partitions; ++p) {
            rd_kafka_topic_partition_list_add(list.get(), "salonq.commands", p);
        }
        bool done = rd_kafka_committed(consumer.get(), list.get(), 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
        for (int i = 0; done && i < list->cnt; ++i) {
            done = list->elems[i].offset == ends.at(list->elems[i].partition);
        }
        if (done) {
            return true;
        }
        std::this_thread::sleep_for(500ms);
    }
    return false;
}

// What a retention that has run does: every event before each partition's end offset is deleted.
void delete_all_events(rd_kafka_t* rk, int partitions) {
    partition_list_ptr list{rd_kafka_topic_partition_list_new(partitions)};
    for (std::int32_t p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(list.get(), "salonq.events", p)->offset = RD_KAFKA_OFFSET_END;
    }
    auto* records = rd_kafka_DeleteRecords_new(list.get());
    queue_ptr queue{rd_kafka_queue_new(rk)};
    rd_kafka_DeleteRecords(rk, &records, 1, nullptr, queue.get());
    rd_kafka_DeleteRecords_destroy(records);
    event_ptr ev{rd_kafka_queue_poll(queue.get(), 30000)};
    REQUIRE(ev);
    REQUIRE_MESSAGE(rd_kafka_event_error(ev.get()) == RD_KAFKA_RESP_ERR_NO_ERROR,
                    rd_kafka_event_error_string(ev.get()));
    auto const* deleted = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev.get()));
    for (int i = 0; i < deleted->cnt; ++i) {
        REQUIRE(deleted->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR);
    }
}

// Every outcome record of salonq.events (read_committed) from its first offset: salonId and seq (0 for records
// without a seq: rejections, invalid commands).
std::vector<std::pair<std::string, std::uint64_t>> read_outcomes(std::string const& bootstrap) {
    std::istringstream lines{run_capture("kcat -b " + bootstrap +
                                         " -C -t salonq.events -e -q -X isolation.level=read_committed -f '%s\\n'")};
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (std::string line; std::getline(lines, line);) {
        auto const salon = text_at(line, "/salonId");
        auto const seq = int_at(line, "/seq");
        out.emplace_back(salon == "<none>" ? "" : salon, seq < 0 ? 0 : static_cast<std::uint64_t>(seq));
    }
    return out;
}

// Whether the snapshots reach the end of each partition's events (the end offset is past the last transaction's
// marker; a round's eventsOffset is past its last event).
bool snapshots_reach(std::map<std::int32_t, std::int64_t> const& snapshots,
                     std::map<std::int32_t, std::int64_t> const& ends) {
    for (auto const& [p, end] : ends) {
        if (!snapshots.contains(p) || snapshots.at(p) < end - 1) {
            return false;
        }
    }
    return true;
}

// The highest eventsOffset among the salon snapshots of each partition of salonq.snapshots.
std::map<std::int32_t, std::int64_t> snapshot_offsets(std::string const& bootstrap) {
    std::istringstream lines{run_capture("kcat -b " + bootstrap + " -C -t salonq.snapshots -e -q -f '%p %s\\n'")};
    std::map<std::int32_t, std::int64_t> out;
    for (std::string line; std::getline(lines, line);) {
        auto const space = line.find(' ');
        if (auto const offset = int_at(line.substr(space + 1), "/eventsOffset"); offset >= 0) {
            auto const p = std::stoi(line.substr(0, space));
            out[p] = std::max<std::int64_t>(out[p], offset);
        }
    }
    return out;
}

} // namespace

TEST_CASE("kafka retention: events are kept forever, and a worker the retention has outrun restores from snapshots") {
    constexpr int partitions = 2;
    kafka_broker broker;
    auto const& dir = broker.dir();
    auto const& bootstrap = broker.bootstrap();
    create_topics(bootstrap, partitions);
    auto const described = run_capture(salonq_binary() + " topics describe --brokers " + bootstrap);
    CHECK_MESSAGE(described.find("events retention   forever") != std::string::npos, described);

    auto const total = simulated_commands(dir, "--salons 12 --days 1 --seed 31");
    auto const parts = split_commands(dir, total, 4);
    auto const size = [&](int i) { return std::stoull(run_capture("wc -l < '" + parts[i] + "'")); };
    // Rounds come only from their age here (--snapshot-every is out of reach).
    auto worker = [&](std::string const& name, std::string const& log, std::string const& every = "100000000") {
        return start_worker(
            broker, name,
            {"--snapshot-every", every, "--snapshot-max-age-seconds", "2", "--session-timeout-ms", "3000"}, dir / log);
    };
    auto admin = client(bootstrap);
    // Every salon's seq so far, from the events the topic still holds on top of `last`.
    auto seqs_continue = [&](std::map<std::string, std::uint64_t>& last, std::size_t expected) {
        auto const outcomes = read_outcomes(bootstrap);
        CHECK(outcomes.size() == expected);
        std::size_t events = 0;
        for (auto const& [salon, seq] : outcomes) {
            if (seq == 0) {
                continue; // a rejection: no seq
            }
            CHECK_MESSAGE(seq == last[salon] + 1, salon << " seq " << seq << " after " << last[salon]);
            last[salon] = seq;
            ++events;
        }
        CHECK(events > expected / 2);
        return events;
    };
    std::string report;

    // a decides the first part and stops; b (no local state) decides the second and goes idle.
    auto a = worker("a", "a.log");
    kcat_produce(bootstrap, parts[0]);
    REQUIRE_MESSAGE(wait_verified(bootstrap, 120s, report), report);
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);
    auto b = worker("b", "b.log");
    kcat_produce(bootstrap, parts[1]);
    REQUIRE_MESSAGE(wait_verified(bootstrap, 120s, report), report);

    // Idle, b checkpoints and writes rounds that reach the end of every partition's events.
    auto const ends = ends_of(admin.get(), "salonq.events", partitions);
    auto const deadline = std::chrono::steady_clock::now() + 60s;
    while (!snapshots_reach(snapshot_offsets(bootstrap), ends) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1s);
    }
    REQUIRE(snapshots_reach(snapshot_offsets(bootstrap), ends));
    b->kill(SIGTERM);
    REQUIRE(b->wait() == 0);
    CHECK(worker_stat(dir / "b.log", "snapshots_written") >= 12);

    // The last seq of every salon, then the retention deletes every event so far.
    std::map<std::string, std::uint64_t> last;
    for (auto const& [salon, seq] : read_outcomes(bootstrap)) {
        last[salon] = std::max(last[salon], seq);
    }
    REQUIRE(last.size() == 12);
    delete_all_events(admin.get(), partitions);

    // a comes back: its local state reaches only the first part, whose events are gone. It restores from b's
    // snapshots and continues every salon's seq where b left it. Terminals send the first two parts again: a
    // remembers the first from its own RocksDB and the second from b's dedupe chunks; nothing is decided twice.
    auto a2 = worker("a", "a2.log");
    for (int i : {2, 0, 1}) {
        kcat_produce(bootstrap, parts[i]);
    }
    REQUIRE_MESSAGE(all_consumed(bootstrap, partitions, 90s), run_capture("grep -v '^%' '" + (dir / "a2.log") + "'"));
    a2->kill(SIGTERM);
    REQUIRE(a2->wait() == 0);
    auto const folded = seqs_continue(last, size(2));
    CHECK(worker_stat(dir / "a2.log", "stale_local_states") == partitions);
    CHECK(worker_stat(dir / "a2.log", "snapshots_restored") == 12);
    MESSAGE(total << " commands; after the first deletion a decided " << size(2) << " (" << folded
                  << " events), every salon's seq continuing from b's");

    // Deleted again, up to a's last commit marker: a's local state is current and stays (no rounds this time).
    delete_all_events(admin.get(), partitions);
    auto a3 = worker("a", "a3.log", "0");
    kcat_produce(bootstrap, parts[3]);
    REQUIRE_MESSAGE(all_consumed(bootstrap, partitions, 90s), run_capture("grep -v '^%' '" + (dir / "a3.log") + "'"));
    a3->kill(SIGTERM);
    REQUIRE(a3->wait() == 0);
    seqs_continue(last, size(3));
    CHECK(worker_stat(dir / "a3.log", "stale_local_states") == 0);
    CHECK(worker_stat(dir / "a3.log", "snapshots_restored") == 0);

    // And again: now the latest snapshots (a2's) are older than the topic. A worker without local state refuses
    // to decide anything rather than start from states it cannot complete.
    delete_all_events(admin.get(), partitions);
    auto c = worker("c", "c.log");
    kcat_produce(bootstrap, parts[0]);
    CHECK(c->wait() != 0);
    auto const c_log = run_capture("grep -v '^%' '" + (dir / "c.log") + "'");
    CHECK_MESSAGE(c_log.find("retention deleted events that no state covers") != std::string::npos, c_log);
    CHECK(read_outcomes(bootstrap).empty());
}
