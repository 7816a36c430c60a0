// A take-over that meets a transaction still open on the events partition. A read_committed reader ends at the last
// stable offset, which an open transaction holds back; a transaction already committed whose marker this partition
// has not got yet (the coordinator writes markers partition by partition) looks the same to it. Folding only to
// there would miss outcomes whose commands count as consumed, and the worker would decide them again: here, the
// outcome of a command in a transaction that commits while the new owner takes the partition over. The new owner
// waits for it, folds it, and appends nothing for the command when it comes.

#include "engine/kafka/detail/client.hpp"
#include "engine/kafka/kafka.hpp"
#include "test/support/broker.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace {

using namespace salonq::test;
using namespace std::chrono_literals;
namespace ek = salonq::engine::kafka;

// An outcome written as a worker writes it: in a transaction on salonq.events, left open until commit().
class open_transaction {
public:
    open_transaction(std::string const& bootstrap, std::string const& salon, std::string const& outcome) {
        ek::settings s;
        s.brokers = bootstrap;
        auto p = ek::make_client(s, RD_KAFKA_PRODUCER, {{"transactional.id", "late-worker"}});
        REQUIRE_MESSAGE(p, (p ? "" : p.error().message));
        handle_ = std::move(*p);
        check(rd_kafka_init_transactions(handle_.get(), 30'000));
        check(rd_kafka_begin_transaction(handle_.get()));
        REQUIRE(rd_kafka_producev(handle_.get(), RD_KAFKA_V_TOPIC(ek::events_topic), RD_KAFKA_V_PARTITION(0),
                                  RD_KAFKA_V_KEY(salon.data(), salon.size()),
                                  RD_KAFKA_V_VALUE(const_cast<char*>(outcome.data()), outcome.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
        REQUIRE(rd_kafka_flush(handle_.get(), 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    void commit() { check(rd_kafka_commit_transaction(handle_.get(), 30'000)); }

private:
    static void check(rd_kafka_error_t* raw) {
        ek::detail::error_ptr e{raw};
        REQUIRE_MESSAGE(!e, (e ? rd_kafka_error_string(e.get()) : ""));
    }
    ek::detail::handle_ptr handle_;
};

// Whether `file` has a line with `text` by `limit`.
bool wait_for_line(std::string const& file, std::string const& text, std::chrono::seconds limit) {
    auto const until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (run_capture("grep -c '" + text + "' '" + file + "' || true").front() != '0') {
            return true;
        }
        if (std::chrono::steady_clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(200ms);
    }
}

} // namespace

TEST_CASE("kafka take-over: an outcome committed while the partition is taken over is folded, not decided again") {
    kafka_broker broker;
    auto const& dir = broker.dir();
    create_topics(broker.bootstrap(), 1);
    (void)simulated_commands(dir, "--salons 2 --days 1 --seed 7");
    auto a = start_worker(broker, "a");
    kcat_produce(broker.bootstrap(), dir / "keyed.tsv");
    std::string report;
    REQUIRE_MESSAGE(wait_verified(broker.bootstrap(), 120s, report), report);
    a->kill(SIGTERM);
    REQUIRE(a->wait() == 0);

    // The outcome of command late-1 (a cancel of a ticket that never was: rejected), in an open transaction.
    auto const salon = run_capture("head -1 '" + (dir / "keyed.tsv") + "' | cut -f1 | tr -d '\\n'");
    auto const now = run_capture("date -u +%Y-%m-%dT%H:%M:%S.000Z | tr -d '\\n'"); // within the dedupe window
    auto const command = R"({"type":"cancel","v":1,"commandId":"late-1","salonId":")" + salon +
                         R"(","actor":{"kind":"terminal","id":"pos-1"},"payload":{"ticketId":9999,"reason":"left"}})";
    open_transaction late{broker.bootstrap(), salon,
                          R"({"type":"command_rejected","v":1,"salonId":")" + salon +
                              R"(","atSeq":1,"commandId":"late-1","actor":{"kind":"terminal","id":"pos-1"},"at":")" +
                              now +
                              R"(","commandType":"cancel",)"
                              R"("payload":{"code":"ticket_not_found","message":"there is no ticket 9999"}})"};

    // b (without local state) takes the partition over and waits at the open transaction; it commits meanwhile.
    REQUIRE(::setenv("SALONQ_TRACE_TXN", "1", 1) == 0); // b logs the start and the end of its take-over
    auto b = start_worker(broker, "b");
    REQUIRE_MESSAGE(wait_for_line(dir / "b.log", "taking partition 0 over", 60s),
                    run_capture("grep -v '^%' '" + (dir / "b.log") + "'"));
    std::this_thread::sleep_for(2s);
    CHECK_FALSE(wait_for_line(dir / "b.log", "take-over of partition 0", 0s)); // still waiting
    late.commit();
    CHECK(wait_for_line(dir / "b.log", "take-over of partition 0", 30s));

    // The command comes: b knows its outcome from the fold, and appends nothing.
    auto const keyed = dir / "late.tsv";
    std::ofstream{keyed} << salon << '\t' << command << '\n';
    kcat_produce(broker.bootstrap(), keyed);
    std::this_thread::sleep_for(3s);
    CHECK_MESSAGE(wait_verified(broker.bootstrap(), 60s, report, "--worker-data '" + (dir / "b") + "'"), report);
    b->kill(SIGTERM);
    CHECK_MESSAGE(b->wait() == 0, run_capture("grep -v '^%' '" + (dir / "b.log") + "' | tail -5"));
}
