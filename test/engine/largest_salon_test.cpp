// The largest salon the rules allow, built through the embedded engine and restarted: everything the engine
// wrote for it (log-form commands, events, the state) reads back, and the salon goes on deciding.

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/runtime/verify.hpp"
#include "test/support/largest_salon.hpp"
#include "test/support/process.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace {

using namespace salonq::engine;
using runtime::embedded_engine;
using runtime::outcome;
using salonq::test::largest_salon;
using salonq::test::temp_dir;

// Submits every command (asynchronously, so they are committed in large batches) and returns the outcomes. The
// last completion notifies under the lock, so the waiter cannot return (and destroy the mutex) before it is done.
std::vector<outcome> submit_all(embedded_engine& engine, std::vector<std::string> const& lines) {
    std::mutex mutex;
    std::condition_variable all_done;
    std::vector<outcome> outcomes;
    std::size_t completed = 0;
    for (auto const& line : lines) {
        REQUIRE(line.size() <= codec::limits::message);
        auto c = codec::decode_command(line);
        REQUIRE_MESSAGE(c.has_value(), line.substr(0, 80), ": ", c.error().message);
        engine.submit(std::move(*c), [&](std::expected<outcome, runtime::error> r) {
            std::lock_guard lock{mutex};
            if (r) { // an engine error shows as a missing outcome below (no assertion on a worker thread)
                outcomes.push_back(std::move(*r));
            }
            if (++completed == lines.size()) {
                all_done.notify_one();
            }
        });
    }
    std::unique_lock lock{mutex};
    all_done.wait(lock, [&] { return completed == lines.size(); });
    REQUIRE(outcomes.size() == lines.size());
    return outcomes;
}

struct record_sizes {
    std::size_t command = 0;
    std::size_t event = 0;
};

// The largest log-form command and event the engine wrote, each decoded back.
record_sizes largest_records(embedded_engine& engine) {
    record_sizes sizes;
    for (std::int32_t p = 0; p < engine.partition_count(); ++p) {
        auto const commands = engine.commands().read(partition_id{p}, offset_t{0}, 1'000'000).value();
        for (auto const& r : commands) {
            REQUIRE(codec::decode_command(r.value, codec::command_source::log).has_value());
            sizes.command = std::max(sizes.command, r.value.size());
        }
        auto const events = engine.events().read(partition_id{p}, offset_t{0}, 1'000'000).value();
        for (auto const& r : events) {
            REQUIRE(codec::decode_entry(r.value).has_value());
            sizes.event = std::max(sizes.event, r.value.size());
        }
    }
    return sizes;
}

} // namespace

TEST_CASE("engine: the largest salon the rules allow is written, restarted and read back") {
    largest_salon big{"big"};
    temp_dir dir;
    runtime::engine_options relaxed;
    relaxed.mode = runtime::durability::relaxed;
    salon_state before;
    {
        auto engine = embedded_engine::open(dir.path(), relaxed).value();
        auto const outcomes = submit_all(*engine, big.commands);
        auto const refused =
            std::count_if(outcomes.begin(), outcomes.end(), [](auto const& o) { return !o.accepted(); });
        CHECK(refused == 0);
        auto overflow = engine->submit_sync(codec::decode_command(big.overflow_walk_in()).value());
        REQUIRE(overflow.has_value());
        CHECK(std::get<rejected_command>(overflow->entries.at(0)).why.code == rejection_code::token_pool_exhausted);

        before = engine->state(salon_id{big.salon}).value().value();
        CHECK(before.tickets.size() == salon_limits::active_tickets);
        CHECK(before.staff.size() == salon_limits::staff);
        CHECK(before.services.size() == salon_limits::services);

        auto const state_size = codec::encode_state(before).size();
        auto const sizes = largest_records(*engine);
        MESSAGE("largest salon: state ", state_size, " bytes, largest event ", sizes.event,
                " bytes, largest log-form command ", sizes.command, " bytes");
        CHECK(state_size > codec::limits::message); // the size that used to brick a salon
        CHECK(state_size < codec::limits::record / 2);
        CHECK(sizes.event < codec::limits::record / 2);
        CHECK(sizes.command < codec::limits::record / 2);
    }

    // A new process: the salon loads, decides, and verifies.
    auto engine = embedded_engine::open(dir.path(), relaxed).value();
    auto after = engine->state(salon_id{big.salon});
    REQUIRE_MESSAGE(after.has_value(), after.error().message);
    REQUIRE(after->has_value());
    CHECK(**after == before);
    auto const serving = std::find_if(before.tickets.begin(), before.tickets.end(),
                                      [](ticket const& t) { return t.status == ticket_status::serving; });
    REQUIRE(serving != before.tickets.end());
    auto done = engine->submit_sync(
        codec::decode_command(
            fmt::format(R"({{"type":"complete","commandId":"big-done","salonId":"big","payload":{{"ticketId":{}}}}})",
                        serving->id.value()))
            .value());
    REQUIRE(done.has_value());
    CHECK(done->accepted());
    auto const report = runtime::verify(engine->db(), engine->partition_count());
    REQUIRE(report.has_value());
    auto const first_problem = report->problems.empty() ? std::string{} : report->problems.front();
    CHECK_MESSAGE(report->ok(), first_problem);
}
