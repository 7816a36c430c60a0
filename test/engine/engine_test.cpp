// The embedded engine with real RocksDB: idempotency, recovery, concurrency, partitioning, bad input.

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/runtime/embedded_view.hpp"
#include "engine/runtime/verify.hpp"
#include "test/support/commands.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace {

using namespace salonq::engine;
using namespace std::chrono_literals;
using runtime::embedded_engine;
using namespace salonq::test;

// Registers `salon` on a live engine with two services (HC, BT) and `staff` stylists s1..sN, clocked in.
void set_up_salon(embedded_engine& e, std::string const& salon, int staff = 2) {
    REQUIRE(e.submit_sync(make_command(salon + "-reg", salon, register_salon("Europe/London", "Fade & Co"), at(0))));
    auto const services = std::vector<service_def>{{"HC", "Haircut", 2500, 30}, {"BT", "Beard trim", 1200, 15}};
    REQUIRE(e.submit_sync(make_command(salon + "-cfg", salon, set_services(services), at(0)))->accepted());
    for (int i = 1; i <= staff; ++i) {
        auto id = "s" + std::to_string(i);
        REQUIRE(e.submit_sync(make_command(salon + "-add" + id, salon, add_staff(id, role::staff, "Stylist"), at(0)))
                    ->accepted());
        REQUIRE(e.submit_sync(make_command(salon + "-in" + id, salon, clock_in(id), at(1)))->accepted());
    }
}

std::int64_t total_entries(embedded_engine& e) {
    std::int64_t n = 0;
    for (std::int32_t p = 0; p < e.partition_count(); ++p) {
        n += e.events().end_offset(partition_id{p})->value();
    }
    return n;
}

} // namespace

TEST_CASE("engine: a repeated commandId returns the original outcome and appends nothing") {
    temp_dir dir;
    auto engine = embedded_engine::open(dir.path()).value();
    set_up_salon(*engine, "s1");
    auto first = engine->submit_sync(make_command("w-1", "s1", walk_in("Ana", {"HC"}), at(5)));
    REQUIRE(first);
    REQUIRE(first->accepted());
    CHECK_FALSE(first->duplicate);
    auto const entries_before = total_entries(*engine);

    auto again = engine->submit_sync(make_command("w-1", "s1", walk_in("Somebody else", {"HC"}), at(6)));
    REQUIRE(again);
    CHECK(again->duplicate);
    CHECK(again->entries == first->entries);
    CHECK(again->first_offset == first->first_offset);
    CHECK(total_entries(*engine) == entries_before);

    SUBCASE("a rejection is remembered too") {
        auto bad = engine->submit_sync(make_command("c-9", "s1", complete(99), at(7)));
        REQUIRE(bad);
        CHECK_FALSE(bad->accepted());
        auto bad_again = engine->submit_sync(make_command("c-9", "s1", complete(99), at(8)));
        CHECK(bad_again->duplicate);
        CHECK(bad_again->entries == bad->entries);
    }
    SUBCASE("the same commandId in another salon is another command") {
        set_up_salon(*engine, "s2");
        auto other = engine->submit_sync(make_command("w-1", "s2", walk_in("Ben", {"HC"}), at(5)));
        CHECK_FALSE(other->duplicate);
        CHECK(other->accepted());
    }
    SUBCASE("duplicates inside one group-commit batch") {
        std::atomic<int> done{0};
        std::vector<runtime::outcome> outs(3);
        for (int i = 0; i < 3; ++i) {
            engine->submit(make_command("w-2", "s1", walk_in("Chloe", {"HC"}), at(9)), [&, i](auto r) {
                outs[static_cast<std::size_t>(i)] = *r;
                ++done;
            });
        }
        while (done < 3) {
            std::this_thread::sleep_for(1ms);
        }
        CHECK(std::count_if(outs.begin(), outs.end(), [](auto const& o) { return !o.duplicate; }) == 1);
        CHECK(outs[0].entries == outs[1].entries);
        CHECK(outs[1].entries == outs[2].entries);
    }
}

TEST_CASE("engine: a repeat after the retention window is a new command") {
    temp_dir dir;
    runtime::engine_options options;
    options.dedupe_retention = std::chrono::hours{24};
    auto engine = embedded_engine::open(dir.path(), options).value();
    set_up_salon(*engine, "s1");
    auto first = engine->submit_sync(make_command("w-1", "s1", walk_in("Ana", {"HC"}), at(5)));
    auto later = engine->submit_sync(make_command("w-1", "s1", walk_in("Ana", {"HC"}), at(5) + std::chrono::hours{25}));
    CHECK_FALSE(later->duplicate);
    CHECK(later->accepted());
    CHECK(std::get<event>(later->entries[0]).seq.value() == std::get<event>(first->entries[0]).seq.value() + 1);
}

TEST_CASE("engine: state, offsets and ticket numbers survive a restart") {
    temp_dir dir;
    std::optional<salon_state> before;
    {
        auto engine = embedded_engine::open(dir.path()).value();
        set_up_salon(*engine, "s1");
        for (int i = 0; i < 5; ++i) {
            REQUIRE(engine
                        ->submit_sync(make_command("w" + std::to_string(i), "s1",
                                                   walk_in("C" + std::to_string(i), {"HC"}), at(10 + i)))
                        ->accepted());
        }
        REQUIRE(engine->submit_sync(make_command("st", "s1", start("s1"), at(20)))->accepted());
        before = engine->state(salon_id{"s1"}).value();
    }
    auto engine = embedded_engine::open(dir.path()).value();
    auto after = engine->state(salon_id{"s1"}).value();
    REQUIRE(after);
    REQUIRE(before);
    CHECK(*after == *before);
    auto next = engine->submit_sync(make_command("w-next", "s1", walk_in("Dev", {"HC"}), at(30)));
    auto const& issued = std::get<evt::ticket_issued>(std::get<event>(next->entries[0]).body);
    CHECK(issued.ticket.value() == 6);
    CHECK(std::get<event>(next->entries[0]).seq.value() == before->seq.value() + 1);
    auto report = runtime::verify(engine->db(), engine->partition_count()).value();
    CHECK(report.ok());
}

TEST_CASE("engine: the partition count is fixed when the log is created") {
    temp_dir dir;
    runtime::engine_options four;
    four.partitions = 4;
    { REQUIRE(embedded_engine::open(dir.path(), four)); }
    runtime::engine_options eight;
    eight.partitions = 8;
    auto refused = embedded_engine::open(dir.path(), eight);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == runtime::errc::misconfigured);
    auto kept = embedded_engine::open(dir.path());
    REQUIRE(kept);
    CHECK((*kept)->partition_count() == 4);
}

TEST_CASE("engine: salons land on Kafka's murmur2 partition") {
    // Kafka's own vectors (UtilsTest.testMurmur2), as signed Java ints.
    CHECK(static_cast<std::int32_t>(log::murmur2("21")) == -973932308);
    CHECK(static_cast<std::int32_t>(log::murmur2("foobar")) == -790332482);
    CHECK(static_cast<std::int32_t>(log::murmur2("a-little-bit-long-string")) == -985981536);
    CHECK(static_cast<std::int32_t>(log::murmur2("a-little-bit-longer-string")) == -1486304829);
    CHECK(static_cast<std::int32_t>(log::murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")) == -58897971);
    CHECK(static_cast<std::int32_t>(log::murmur2("abc")) == 479470107);

    temp_dir dir;
    auto engine = embedded_engine::open(dir.path()).value();
    set_up_salon(*engine, "salon-042");
    auto out = engine->submit_sync(make_command("w", "salon-042", walk_in("Ana", {"HC"}), at(5)));
    CHECK(out->partition.value() == log::partition_for("salon-042", 12));
}

TEST_CASE("engine: concurrent walk-ins from many terminals get unique tokens and gapless seqs") {
    temp_dir dir;
    runtime::engine_options options;
    options.workers = 2;
    options.mode = runtime::durability::relaxed;
    auto engine = embedded_engine::open(dir.path(), options).value();
    constexpr int salons = 6;
    for (int s = 0; s < salons; ++s) {
        set_up_salon(*engine, "s" + std::to_string(s));
        REQUIRE(engine->submit_sync(
            make_command("big" + std::to_string(s), "s" + std::to_string(s), set_max_waiting(2600), at(1))));
    }
    constexpr int threads = 4;
    constexpr int per_thread = 500;
    std::vector<std::thread> terminals;
    terminals.reserve(threads);
    std::mutex m;
    std::map<std::string, std::set<std::string>> tokens;
    std::atomic<int> accepted{0};
    for (int t = 0; t < threads; ++t) {
        terminals.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                auto salon = "s" + std::to_string(i % salons);
                auto r = engine->submit_sync(make_command("t" + std::to_string(t) + "-" + std::to_string(i), salon,
                                                          walk_in("X", {"HC"}), at(10)));
                REQUIRE(r);
                REQUIRE(r->accepted());
                auto const& issued = std::get<evt::ticket_issued>(std::get<event>(r->entries[0]).body);
                std::lock_guard lock{m};
                CHECK(tokens[salon].insert(issued.tok.str()).second);
                ++accepted;
            }
        });
    }
    for (auto& t : terminals) {
        t.join();
    }
    CHECK(accepted == threads * per_thread);
    auto report = runtime::verify(engine->db(), engine->partition_count()).value();
    INFO((report.problems.empty() ? "" : report.problems.front()));
    CHECK(report.ok());
}

TEST_CASE("engine: salonq submit refuses bad input with a code and writes nothing") {
    temp_dir dir;
    auto const input = dir / "in.jsonl";
    {
        std::ofstream out{input};
        out << R"({"type":"register_salon","commandId":"r1","salonId":"s1","payload":{"name":"A","timezone":"UTC"}})"
            << "\n"
            << R"({"type":"walk_in","commandId":"w1","salonId":"s1","payload":{"customer":{"name":"A"},"services":["HC"],"x":1}})"
            << "\n"
            << R"({"type":"walk_in","commandId":"w2","salonId":"s1","payload":)"
            << "\n"
            << R"({"type":"walk_in","commandId":"bad id","salonId":"s1","payload":{"customer":{"name":"A"},"services":["HC"]}})"
            << "\n";
    }
    child_process run({salonq_binary(), "--data", dir / "data", "submit", input}, dir / "out.jsonl");
    CHECK(run.wait() == 1);
    std::ifstream in{dir / "out.jsonl"};
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].find(R"("status":"accepted")") != std::string::npos);
    CHECK(lines[1].find(R"("code":"unknown_field","path":"payload.x")") != std::string::npos);
    CHECK(lines[2].find(R"("code":"malformed_json")") != std::string::npos);
    CHECK(lines[3].find(R"("code":"invalid_value","path":"commandId")") != std::string::npos);

    auto engine = embedded_engine::open(dir / "data").value();
    CHECK(total_entries(*engine) == 1);
    std::int64_t commands = 0;
    for (std::int32_t p = 0; p < engine->partition_count(); ++p) {
        commands += engine->commands().end_offset(partition_id{p})->value();
    }
    CHECK(commands == 1);
}

TEST_CASE("engine: a stored state that does not decode is corrupt, with a message that names what it can") {
    struct row {
        std::string name;
        std::string stored;
        std::string message;
    };
    std::vector<row> const rows{
        {"not JSON: no field to name", "not json",
         "state of salon s1 does not decode: malformed JSON: Problem while parsing an atom starting with the letter "
         "'n'"},
        {"a missing field, named", "{}", "state of salon s1 does not decode: is required at salonId"},
    };
    for (auto const& r : rows) {
        CAPTURE(r.name);
        temp_dir dir;
        {
            auto db = store::rocks_store::open(dir.path()).value();
            auto wb = db->make_batch();
            wb.put(store::family::state, "s1", r.stored);
            REQUIRE(db->write(wb, true));
        }
        auto engine = embedded_engine::open(dir.path()).value();
        auto const read = engine->state(salon_id{"s1"});
        REQUIRE_FALSE(read);
        CHECK(read.error().code == runtime::errc::corrupt_record);
        CHECK(read.error().message == r.message);
        auto const decided = engine->submit_sync(make_command("w1", "s1", walk_in("Ana", {"HC"}), at(5)));
        REQUIRE_FALSE(decided);
        CHECK(decided.error().message == r.message);
    }
}

TEST_CASE("engine: a read-only view beside a running engine sees what was committed before it opened") {
    temp_dir dir;
    runtime::engine_options four;
    four.partitions = 4;
    auto engine = embedded_engine::open(dir.path(), four).value();
    set_up_salon(*engine, "s1");
    auto view = runtime::embedded_view::open(dir.path());
    REQUIRE_MESSAGE(view, view.error().message);
    CHECK((*view)->partition_count() == 4);
    CHECK((*view)->state(salon_id{"s1"}).value() == engine->state(salon_id{"s1"}).value());
    CHECK_FALSE((*view)->state(salon_id{"nobody"}).value().has_value());
    auto const p = partition_id{log::partition_for("s1", 4)};
    CHECK((*view)->events().end_offset(p).value() == engine->events().end_offset(p).value());
    CHECK(runtime::verify((*view)->db(), (*view)->partition_count()).value().ok());

    REQUIRE(engine->submit_sync(make_command("w-1", "s1", walk_in("Ana", {"HC"}), at(5)))->accepted());
    CHECK((*view)->events().end_offset(p)->value() + 1 == engine->events().end_offset(p)->value()); // as of its open
}

TEST_CASE("engine: a read-only view refuses a directory without a log") {
    temp_dir dir;
    auto missing = runtime::embedded_view::open(dir / "nope");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == dir / "nope" + " does not exist");
    { REQUIRE(store::rocks_store::open(dir / "other")); } // a RocksDB database, but not an engine's
    auto other = runtime::embedded_view::open(dir / "other");
    REQUIRE_FALSE(other);
    CHECK(other.error().message == dir / "other" + " is not a salonq log (it has no partition layout)");
}
