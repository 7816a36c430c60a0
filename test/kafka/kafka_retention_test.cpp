// The events topic's retention. `salonq topics create` keeps the events forever (they are the record); where an
// operator gives the topic a retention anyway, a worker that comes back after the retention has deleted the events
// its local state would fold from gives that state up and restores the partitions from salonq.snapshots. Idle
// workers checkpoint their states and write a snapshot round once the last one is older than
// --snapshot-max-age-seconds, so the snapshots reach the end of the events even when no more commands come.

#include "test/support/broker.hpp"

#include <doctest/doctest.h>

#include <librdkafka/rdkafka.h>

#include <map>
#include <regex>
#include <sstream>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;

struct kafka_deleter {
    void operator()(rd_kafka_t* p) const noexcept { rd_kafka_destroy(p); }
    void operator()(rd_kafka_topic_partition_list_t* p) const noexcept { rd_kafka_topic_partition_list_destroy(p); }
    void operator()(rd_kafka_queue_t* p) const noexcept { rd_kafka_queue_destroy(p); }
    void operator()(rd_kafka_event_t* p) const noexcept { rd_kafka_event_destroy(p); }
};
template <typename T>
using owned = std::unique_ptr<T, kafka_deleter>;

owned<rd_kafka_t> admin_client(std::string const& bootstrap) {
    char err[512];
    auto* conf = rd_kafka_conf_new();
    REQUIRE(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err) == RD_KAFKA_CONF_OK);
    owned<rd_kafka_t> rk{rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err)};
    REQUIRE_MESSAGE(rk, err);
    return rk;
}

// The end offset of each partition of salonq.events.
std::map<std::int32_t, std::int64_t> events_ends(rd_kafka_t* rk, int partitions) {
    std::map<std::int32_t, std::int64_t> ends;
    for (std::int32_t p = 0; p < partitions; ++p) {
        std::int64_t low = 0, high = 0;
        REQUIRE(rd_kafka_query_watermark_offsets(rk, "salonq.events", p, &low, &high, 10000) ==
                RD_KAFKA_RESP_ERR_NO_ERROR);
        ends[p] = high;
    }
    return ends;
}

// What a retention that has run does: every event before each partition's end offset is deleted.
void delete_all_events(rd_kafka_t* rk, int partitions) {
    owned<rd_kafka_topic_partition_list_t> list{rd_kafka_topic_partition_list_new(partitions)};
    for (std::int32_t p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(list.get(), "salonq.events", p)->offset = RD_KAFKA_OFFSET_END;
    }
    auto* records = rd_kafka_DeleteRecords_new(list.get());
    owned<rd_kafka_queue_t> queue{rd_kafka_queue_new(rk)};
    rd_kafka_DeleteRecords(rk, &records, 1, nullptr, queue.get());
    rd_kafka_DeleteRecords_destroy(records);
    owned<rd_kafka_event_t> ev{rd_kafka_queue_poll(queue.get(), 30000)};
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
    std::regex const salon{"\"salonId\":\"([^\"]*)\""}, seq{"\"seq\":([0-9]+)"};
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (std::string line; std::getline(lines, line);) {
        std::smatch s, q;
        std::regex_search(line, s, salon);
        out.emplace_back(s.size() > 1 ? s[1].str() : "", std::regex_search(line, q, seq) ? std::stoull(q[1]) : 0);
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
    std::regex const offset{"\"eventsOffset\":([0-9]+)"};
    std::map<std::int32_t, std::int64_t> out;
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_search(line, m, offset)) {
            auto const p = std::stoi(line.substr(0, line.find(' ')));
            out[p] = std::max<std::int64_t>(out[p], std::stoll(m[1]));
        }
    }
    return out;
}

} // namespace

TEST_CASE("kafka retention: events are kept forever; a worker the retention has outrun restores from snapshots") {
    constexpr int partitions = 2;
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), partitions);
    auto const described = run_capture(salonq_binary() + " topics describe --brokers " + broker.bootstrap());
    CHECK_MESSAGE(described.find("events retention   forever") != std::string::npos, described);

    auto const total = simulated_commands(dir, "--salons 12 --days 1 --seed 31");
    auto const thirds = split_commands(dir, total, 3);
    auto const third = [&](int i) { return std::stoull(run_capture("wc -l < '" + thirds[i] + "'")); };
    // Rounds come only from their age here (--snapshot-every is out of reach).
    auto worker = [&](std::string const& name, std::string const& log) {
        return start_worker(
            broker, name,
            {"--snapshot-every", "100000000", "--snapshot-max-age-seconds", "2", "--session-timeout-ms", "3000"},
            dir / log);
    };
    std::string report;

    // a decides the first third and stops; b (no local state) decides the second and goes idle.
    auto a = worker("a", "a.log");
    kcat_produce(broker.bootstrap(), thirds[0]);
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);
    auto b = worker("b", "b.log");
    kcat_produce(broker.bootstrap(), thirds[1]);
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);

    // Idle, b checkpoints and writes rounds that reach the end of every partition's events.
    auto admin = admin_client(broker.bootstrap());
    auto const ends = events_ends(admin.get(), partitions);
    auto const deadline = std::chrono::steady_clock::now() + 60s;
    while (!snapshots_reach(snapshot_offsets(broker.bootstrap()), ends) &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1s);
    }
    REQUIRE(snapshots_reach(snapshot_offsets(broker.bootstrap()), ends));
    b->kill(SIGTERM);
    REQUIRE(b->wait() == 0);
    CHECK(worker_stat(dir / "b.log", "snapshots written") >= 12);

    // The last seq of every salon, then the retention deletes every event so far.
    std::map<std::string, std::uint64_t> last;
    for (auto const& [salon, seq] : read_outcomes(broker.bootstrap())) {
        last[salon] = std::max(last[salon], seq);
    }
    REQUIRE(last.size() == 12);
    delete_all_events(admin.get(), partitions);

    // a comes back: its local state reaches only the first third, whose events are gone. It restores from b's
    // snapshots and continues every salon's seq where b left it.
    auto a2 = worker("a", "a2.log");
    kcat_produce(broker.bootstrap(), thirds[2]);
    auto const expected = third(2);
    auto outcomes = read_outcomes(broker.bootstrap());
    for (auto until = std::chrono::steady_clock::now() + 90s;
         outcomes.size() < expected && std::chrono::steady_clock::now() < until;
         outcomes = read_outcomes(broker.bootstrap())) {
        std::this_thread::sleep_for(1s);
    }
    REQUIRE_MESSAGE(outcomes.size() == expected, run_capture("grep -v '^%' '" + (dir / "a2.log") + "'"));
    // Terminals send the first two thirds again: a remembers the first from its own RocksDB and the second from
    // b's dedupe chunks; nothing is decided twice.
    kcat_produce(broker.bootstrap(), thirds[0]);
    kcat_produce(broker.bootstrap(), thirds[1]);
    std::this_thread::sleep_for(4s);
    a2->kill(SIGTERM);
    REQUIRE(a2->wait() == 0);
    outcomes = read_outcomes(broker.bootstrap());
    CHECK(outcomes.size() == expected);
    CHECK(worker_stat(dir / "a2.log", "local partition states older than the retention") == partitions);
    CHECK(worker_stat(dir / "a2.log", "snapshots restored") == 12);
    std::map<std::string, std::uint64_t> next = last;
    std::size_t gapless = 0;
    for (auto const& [salon, seq] : outcomes) {
        if (seq == 0) {
            continue; // a rejection: no seq
        }
        CHECK_MESSAGE(seq == next[salon] + 1, salon << " seq " << seq << " after " << next[salon]);
        next[salon] = seq;
        ++gapless;
    }
    MESSAGE(total << " commands; after the deletion a decided " << outcomes.size() << " (" << gapless
                  << " events), every salon's seq continuing from b's");
    CHECK(gapless > expected / 2);
}
