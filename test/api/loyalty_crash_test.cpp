// Loyalty across a crash (labels embedded, http): a real `salonq serve` fed completes over HTTP is killed with
// kill -9 while its consumer folds them; the store it left holds whole batches only, and after a restart the ledger
// equals the one folded from the events log from nothing: every completion counted exactly once.

#include "engine/runtime/embedded_view.hpp"
#include "loyalty/store/loyalty_store.hpp"
#include "test/support/http_client.hpp"
#include "test/support/serve_process.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace loyalty_crash_test {

namespace {

using salonq::test::http_client;
using salonq::test::piped_process;
namespace bhttp = boost::beast::http;
namespace loyalty = salonq::loyalty;

constexpr int salons = 4;
constexpr int customers = 6;

std::string customer(int i) { return "cust-" + std::to_string(i % customers); }

void open_salon(http_client& admin, std::string const& salon, int cents_per_point) {
    REQUIRE(admin.request(bhttp::verb::put, "/v1/salons/" + salon, R"({"name":"Cuts","timezone":"Europe/London"})")
                .status == 201);
    REQUIRE(admin
                .request(bhttp::verb::patch, "/v1/salons/" + salon + "/config",
                         R"({"maxWaiting":2600,"loyaltyCentsPerPoint":)" + std::to_string(cents_per_point) +
                             R"(,"services":[{"code":"HC","name":"Cut","priceCents":2500,"durationMin":5}]})")
                .status == 200);
    REQUIRE(admin.post("/v1/salons/" + salon + "/staff", R"({"staffId":"ana","name":"Ana","role":"owner"})").status ==
            201);
    REQUIRE(admin.post("/v1/salons/" + salon + "/staff/ana/clock-in", "").status == 200);
}

// One front desk: walk-in, start, complete, again, until the server dies. Counts the completes it heard accepted.
void serve_customers(std::uint16_t port, std::string const& token, std::string const& salon,
                     std::atomic<bool> const& killed, std::atomic<int>& completed) {
    try {
        http_client c{port, token};
        for (int i = 0; !killed.load(); ++i) {
            auto const who = customer(i + salon.back());
            if (c.post("/v1/salons/" + salon + "/walk-ins",
                       R"({"customer":{"name":"Ann","customerId":")" + who + R"("},"services":["HC"]})")
                    .status != 201) {
                return;
            }
            auto const t = "/v1/salons/" + salon + "/tickets/" + std::to_string(i + 1);
            if (c.post(t + "/start", R"({"staffId":"ana"})").status != 200 ||
                c.post(t + "/complete", R"({"amountCents":)" + std::to_string(1000 + 37 * i) + "}").status != 200) {
                return;
            }
            ++completed;
        }
    } catch (std::exception const& e) { // the server died mid-request: that answer never came
        MESSAGE("a front desk stopped at the kill: " << std::string{e.what()});
    }
}

// The store's balance of each customer agrees with its entries: a crash left whole batches or none.
void check_balances(loyalty::loyalty_store const& store, loyalty::ledger const& entries) {
    for (auto const& [id, list] : entries.customers()) {
        auto page = store.page(salonq::engine::customer_id{id}, std::nullopt, std::nullopt, 1);
        REQUIRE(page);
        REQUIRE(!page->salons.empty());
        CAPTURE(id);
        CHECK(page->balance == entries.balance(salonq::engine::customer_id{id}));
    }
}

loyalty::ledger from_the_log(std::string const& data) {
    auto view = salonq::engine::runtime::embedded_view::open(data);
    REQUIRE(view);
    auto l = loyalty::rebuild((*view)->events());
    REQUIRE_MESSAGE(l, l.error());
    return *l;
}

} // namespace

TEST_CASE("loyalty crash: kill -9 while folding completes, restart: the ledger is the log's, each once") {
    salonq::test::temp_dir dir;
    auto const data = dir / "data";
    auto const admin = salonq::test::admin_token(data);
    std::atomic<int> completed{0};
    {
        piped_process serve{salonq::test::serve_argv(data)};
        auto const port = salonq::test::start_serve(serve);
        http_client setup{port, admin};
        for (int s = 1; s <= salons; ++s) {
            open_salon(setup, "s" + std::to_string(s), s == 2 ? 100 : 1000);
        }
        std::atomic<bool> killed{false};
        std::vector<std::thread> desks;
        for (int s = 1; s <= salons; ++s) {
            desks.emplace_back(serve_customers, port, admin, "s" + std::to_string(s), std::cref(killed),
                               std::ref(completed));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{1500});
        serve.kill(SIGKILL);
        killed = true;
        for (auto& t : desks) {
            t.join();
        }
    }
    REQUIRE(completed.load() > 20);

    auto const expected = from_the_log(data);
    {
        auto store = loyalty::loyalty_store::open(data + "/loyalty", 12);
        REQUIRE_MESSAGE(store, store.error());
        auto const left = (*store)->all();
        REQUIRE(left);
        check_balances(**store, *left);
        std::size_t folded = 0;
        std::size_t in_log = 0;
        for (auto const& [id, list] : left->customers()) {
            folded += list.size();
        }
        for (auto const& [id, list] : expected.customers()) {
            in_log += list.size();
        }
        MESSAGE("completes acknowledged " << completed.load() << ", entries in the log " << in_log
                                          << ", folded before the kill " << folded);
        CHECK(folded <= in_log);
    }

    piped_process serve{salonq::test::serve_argv(data)};
    auto const port = salonq::test::start_serve(serve);
    http_client c{port, admin};
    // The restarted consumer catches up on its own thread while the server answers: each balance is read until it is
    // the log's (or the time is up), with a pause after every read that is not, so the consumer gets the CPU.
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    for (auto const& [id, list] : expected.customers()) {
        auto const want = expected.balance(salonq::engine::customer_id{id});
        std::int64_t got = -1;
        for (;;) {
            simdjson::dom::parser parser;
            auto const r = c.get("/v1/customers/" + id + "/loyalty?limit=1");
            if (r.status != 200 || parser.parse(r.body).at_pointer("/balance").get(got) != simdjson::SUCCESS) {
                got = -1;
            }
            if (got == want || std::chrono::steady_clock::now() > until) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
        }
        CAPTURE(id);
        CHECK(got == want);
    }
    serve.kill(SIGTERM);
    CHECK(serve.wait() == 0);

    auto store = loyalty::loyalty_store::open(data + "/loyalty", 12);
    REQUIRE_MESSAGE(store, store.error());
    auto const after = (*store)->all();
    REQUIRE(after);
    CHECK(*after == expected);
    check_balances(**store, *after);
    std::size_t entries = 0;
    for (auto const& [id, list] : after->customers()) {
        entries += list.size();
    }
    CHECK(entries >= static_cast<std::size_t>(completed.load())); // every acknowledged complete earned (>= 1 point)
    CHECK((*store)->counts().duplicates == 0);
}

} // namespace loyalty_crash_test
