// The notifier end to end over real parts: the embedded engine's events log, the notifier's RocksDB outbox, and a
// real HTTP receiver on loopback that answers, fails, stalls and recovers on purpose and checks every signature.
// Nothing is lost, nothing is sent twice on purpose, dead letters come back when re-driven, a restart resumes.

#include "engine/log/partitioner.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/store/rocks_store.hpp"
#include "notify/deliver/payload.hpp"
#include "notify/deliver/signature.hpp"
#include "notify/run/notifier_service.hpp"
#include "test/engine/scenario.hpp"
#include "test/support/process.hpp"
#include "test/support/webhook_receiver.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace salonq::test {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using namespace salonq::notify;
using std::chrono::milliseconds;

constexpr std::string_view secret = "receiver-secret-0123456789";

struct world {
    temp_dir dir;
    receiver hook{std::string{secret}};
    std::unique_ptr<engine::runtime::embedded_engine> engine;
    std::unique_ptr<notify_store> store;
    std::unique_ptr<notifier_service> service;
    int commands = 0;
    bool allow_private; // the receiver is on loopback: refused unless allowed

    explicit world(bool private_allowed = true) : allow_private(private_allowed) {
        engine::runtime::engine_options o;
        o.partitions = 4;
        o.mode = engine::runtime::durability::relaxed;
        auto e = engine::runtime::embedded_engine::open(dir / "engine", o);
        REQUIRE(e);
        engine = std::move(*e);
        open_notifier();
        salon_settings s{hook.url(), std::string{secret}, {}, 3};
        s.rules.almost_at = 2;
        REQUIRE(store->put_settings(salon_id{"s1"}, s));
        submit(register_salon(), set_services(catalogue()));
        submit(add_staff("mgr", role::manager), add_staff("st1", role::staff), clock_in("st1"));
    }
    void open_notifier() {
        auto s = notify_store::open(dir / "notify", 4);
        REQUIRE_MESSAGE(s, s.error());
        store = std::move(*s);
        service_options o;
        o.poll = milliseconds{50};
        o.timeout = milliseconds{300};
        o.retry = retry_policy{milliseconds{50}, milliseconds{200}, 3};
        o.allow_private = allow_private;
        service = std::make_unique<notifier_service>(*store, engine->events(), o);
    }
    void close_notifier() {
        service.reset();
        store.reset();
    }
    template <typename... Bodies>
    void submit(Bodies&&... bodies) {
        auto const one = [&](command_body b) {
            auto const by = std::holds_alternative<cmd::skip_ticket>(b) ? staff_actor("mgr") : system_actor();
            auto done = engine->submit_sync(
                make_command("c" + std::to_string(++commands), "s1", std::move(b), utc(2026, 11, 30, 9, 0), by));
            REQUIRE(done);
            REQUIRE(done->accepted());
        };
        (one(command_body{std::forward<Bodies>(bodies)}), ...);
        if (service) {
            service->wake();
        }
    }
};

std::set<std::string> ids_of(std::vector<std::string> const& v) { return {v.begin(), v.end()}; }

} // namespace

std::vector<delivery> dead_of(world const& w) { return w.store->dead_letters(salon_id{"s1"}, {}, 1000).value(); }

TEST_CASE("notify: settings are checked and name the wrong field; webhook addresses are parsed strictly") {
    auto const ok = decode_settings(R"({"url":"https://hooks.example.com:8443/salonq?x=1","secret":"0123456789abcdef",)"
                                    R"("almostAt":2,"called":false,"maxAttempts":5})");
    REQUIRE_MESSAGE(ok, ok.error());
    CHECK(ok->rules.almost_at == 2);
    CHECK_FALSE(ok->rules.called);
    CHECK(ok->rules.skipped);
    CHECK(ok->max_attempts == 5);
    CHECK(decode_settings(encode_settings(*ok)).value() == *ok);
    // The input path is strict, naming the field; the stored path reads the same values as they are.
    for (auto const& [json, field] : std::vector<std::pair<std::string, std::string>>{
             {R"({"url":"ftp://x/","secret":"0123456789abcdef"})", "url"},
             {R"({"url":"http://x/","secret":"short"})", "secret"},
             {R"({"url":"http://x/","secret":"0123456789abcdef","almostAt":51})", "almostAt"},
             {R"({"url":"http://x/","secret":"0123456789abcdef","extra":1})", "extra"},
         }) {
        CAPTURE(json);
        auto const strict = read_settings(json);
        REQUIRE_FALSE(strict);
        CHECK(strict.error().path == field);
        CHECK(decode_settings(json));
    }
    CHECK_FALSE(decode_settings(R"({"url":"http://x/","secret":1})")); // a wrong type is still a broken record

    auto const u = parse_webhook_url("https://hooks.example.com:8443/in?a=b");
    REQUIRE(u);
    CHECK(u->tls);
    CHECK(u->host == "hooks.example.com");
    CHECK(u->port == "8443");
    CHECK(u->target == "/in?a=b");
    CHECK(parse_webhook_url("http://127.0.0.1").value().target == "/");
    CHECK(parse_webhook_url("http://127.0.0.1").value().port == "80");
    auto const v6 = parse_webhook_url("https://[2001:DB8::10]:8443/in");
    REQUIRE(v6);
    CHECK(v6->host == "2001:DB8::10"); // as the resolver and the address policy take it
    CHECK(v6->host_as_written() == "[2001:DB8::10]");
    CHECK(v6->port == "8443");
    CHECK(v6->target == "/in");
    CHECK(parse_webhook_url("http://[::ffff:192.0.2.1]").value().port == "80");
    for (auto const* bad :
         {"http://user:pw@host/", "http://host:0/", "http://host:99999/", "http://ho st/", "http://host/a b",
          "http:///x", "mailto:a@b", "http://::1/", "http://[::1/", "http://[]/", "http://[::1]x/", "http://[::1]:/",
          "http://[fe80::1%25eth0]/", "http://[192.0.2.1]/", "http://[v1.fe]/", "http://[::1]:99999/"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_webhook_url(bad));
    }
}

TEST_CASE("notify: a webhook at an IPv6 literal is delivered, its Host header in brackets") {
    world w;
    receiver v6{std::string{secret}, "::1"};
    salon_settings s{v6.url(), std::string{secret}, {}, 3};
    s.rules.almost_at = 1;
    REQUIRE(w.store->put_settings(salon_id{"s1"}, s));
    w.submit(walk_in("Ann"));
    REQUIRE(v6.wait_ok(1));
    auto const seen = v6.seen();
    CHECK(seen.bad_signatures == 0);
    REQUIRE_FALSE(seen.hosts.empty());
    CHECK(seen.hosts.front() == v6.url().substr(7, v6.url().find("/hooks") - 7)); // "[::1]:PORT"
    CHECK(seen.hosts.front().starts_with("[::1]:"));
}

TEST_CASE("notify: a webhook at [::1] is refused at connect unless private addresses are allowed") {
    world w{false};
    receiver v6{std::string{secret}, "::1"};
    REQUIRE(w.store->put_settings(salon_id{"s1"}, salon_settings{v6.url(), std::string{secret}, {}, 1}));
    w.submit(walk_in("Ann"), walk_in("Bo"));
    for (int i = 0; i < 300 && dead_of(w).empty(); ++i) {
        std::this_thread::sleep_for(milliseconds{20});
    }
    auto const dead = dead_of(w);
    REQUIRE_FALSE(dead.empty());
    CHECK(dead.front().last_error == "refused: private address");
    CHECK(v6.seen().requests.empty()); // never connected to
}

TEST_CASE("notify: a salon's webhook gets each notification once, signed, in the order they arose") {
    world w;
    w.submit(walk_in(customer{"Ann", "+44 7700 900001", customer_id{"cust-1"}}), walk_in("Bo"), walk_in("Cy"));
    w.submit(start("st1"));
    REQUIRE(w.hook.wait_ok(4)); // almost(1), almost(2), called(1), almost(3)
    std::this_thread::sleep_for(milliseconds{200});
    auto const seen = w.hook.seen();
    CHECK(seen.ok.size() == 4);
    CHECK(ids_of(seen.ok).size() == 4);
    CHECK(seen.bad_signatures == 0);
    REQUIRE(seen.notifications.size() == 4);
    std::set<std::string> kinds;
    for (auto const& n : seen.notifications) {
        kinds.insert(fmt::format("{}:{}", to_string(n.kind), n.ticket.value()));
        if (n.ticket == tid(1) && n.kind == notification_kind::called) {
            CHECK(n.customer.phone == "+44 7700 900001");
            CHECK(n.staff == staff_id{"st1"});
        }
    }
    CHECK(kinds == std::set<std::string>{"almost_your_turn:1", "almost_your_turn:2", "called:1", "almost_your_turn:3"});
    CHECK(w.store->pending() == 0);
    CHECK(w.service->stats().delivered == 4);
}

TEST_CASE("notify: a receiver that fails, then stalls, then recovers gets everything; nothing is dead") {
    world w;
    salon_settings patient{w.hook.url(), std::string{secret}, {}, 20};
    patient.rules.almost_at = 2;
    REQUIRE(w.store->put_settings(salon_id{"s1"}, patient));
    w.hook.set(receiver::mode::fail);
    w.submit(walk_in("Ann"));
    std::this_thread::sleep_for(milliseconds{150}); // a first attempt or two are refused
    w.hook.set(receiver::mode::stall);
    w.submit(walk_in("Bo"));
    std::this_thread::sleep_for(milliseconds{500}); // attempts time out
    w.hook.set(receiver::mode::ok);
    for (int i = 0; i < 500 && w.store->pending() > 0; ++i) {
        std::this_thread::sleep_for(milliseconds{20});
    }
    auto const seen = w.hook.seen();
    // A stalled attempt the receiver finishes after the notifier gave up on it is not counted here (stall answers
    // without recording), so each id is taken exactly once.
    CHECK(ids_of(seen.ok) == std::set<std::string>{"s1:6:almost_your_turn:1", "s1:7:almost_your_turn:2"});
    CHECK(seen.ok.size() == 2);
    CHECK(seen.bad_signatures == 0);
    CHECK(w.service->stats().failed_attempts >= 2);
    CHECK(w.store->pending() == 0);
    CHECK(dead_of(w).empty());
}

TEST_CASE("notify: after its attempts a delivery is a dead letter; re-driven, it is delivered") {
    world w;
    w.hook.set(receiver::mode::fail);
    w.submit(walk_in("Ann"));
    for (int i = 0; i < 300 && dead_of(w).empty(); ++i) {
        std::this_thread::sleep_for(milliseconds{20});
    }
    auto const dead = dead_of(w);
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].attempts == 3);
    CHECK(dead[0].last_error == "http 500");
    CHECK(w.hook.seen().requests.at(dead[0].id) == 3);
    CHECK(w.store->pending() == 0);
    w.hook.set(receiver::mode::ok);
    auto const now = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
    CHECK(w.store->redrive(salon_id{"s2"}, dead[0].id, now).value() == false); // not s2's
    CHECK(w.store->redrive(salon_id{"s1"}, dead[0].id, now).value() == true);
    REQUIRE(w.hook.wait_ok(1));
    CHECK(w.hook.seen().ok == std::vector<std::string>{dead[0].id});
    CHECK(dead_of(w).empty());
}

TEST_CASE("notify: a restart resumes from the stored offsets and outbox: nothing lost, nothing derived twice") {
    world w;
    w.submit(walk_in("Ann"), walk_in("Bo"));
    REQUIRE(w.hook.wait_ok(2)); // almost(1), almost(2) delivered before the restart
    // The receiver records a delivery before the notifier reads its answer and clears it from the outbox.
    for (int i = 0; i < 100 && w.store->pending() > 0; ++i) {
        std::this_thread::sleep_for(milliseconds{20});
    }
    REQUIRE(w.store->pending() == 0);
    w.hook.set(receiver::mode::fail);
    w.submit(start("st1")); // called(1); Bo moves up to 1, told already
    for (int i = 0; i < 100 && w.store->pending() < 1; ++i) {
        std::this_thread::sleep_for(milliseconds{20});
    }
    REQUIRE(w.store->pending() == 1);
    w.close_notifier();
    w.submit(walk_in("Cy")); // while the notifier is down: almost(3) is derived at the restart
    w.hook.set(receiver::mode::ok);
    w.open_notifier();
    w.service->wake();
    REQUIRE(w.hook.wait_ok(4));
    std::this_thread::sleep_for(milliseconds{300});
    auto const seen = w.hook.seen();
    CHECK(seen.ok.size() == 4); // the two delivered before were not derived and sent again
    CHECK(ids_of(seen.ok).size() == 4);
    CHECK(w.store->pending() == 0);
}

TEST_CASE("notify: a loopback webhook is refused unless private addresses are allowed; the reason is coarse") {
    world w{false};
    w.submit(walk_in("Ann"));
    for (int i = 0; i < 300 && dead_of(w).empty(); ++i) {
        std::this_thread::sleep_for(milliseconds{20});
    }
    auto const dead = dead_of(w);
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].last_error == "refused: private address"); // not "connect: Connection refused"
    CHECK(dead[0].attempts == 3);
    CHECK(w.hook.seen().requests.empty()); // never connected to
}

TEST_CASE("notify: re-drive all puts back at most the limit in one batch and says how many are left") {
    world w;
    w.hook.set(receiver::mode::fail);
    w.submit(walk_in("Ann"), walk_in("Bo"), walk_in("Cy")); // almost(1), almost(2)
    for (int i = 0; i < 300 && dead_of(w).size() < 2; ++i) {
        std::this_thread::sleep_for(milliseconds{20});
    }
    REQUIRE(dead_of(w).size() == 2);
    w.hook.set(receiver::mode::ok);
    auto const now = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
    auto const first = w.store->redrive_all(salon_id{"s1"}, now, 1);
    REQUIRE(first);
    CHECK(first->redriven == 1);
    CHECK(first->remaining == 1);
    auto const second = w.store->redrive_all(salon_id{"s1"}, now, 1);
    REQUIRE(second);
    CHECK(second->redriven == 1);
    CHECK(second->remaining == 0);
    REQUIRE(w.hook.wait_ok(2));
    auto const none = w.store->redrive_all(salon_id{"s1"}, now, 1);
    REQUIRE(none);
    CHECK(none->redriven == 0);
    CHECK(none->remaining == 0);
}

TEST_CASE("notify: a re-drive reports a dead letter that does not decode instead of re-driving nothing") {
    world w;
    w.close_notifier();
    {
        auto db = engine::store::rocks_store::open(w.dir / "notify", engine::store::open_options{});
        REQUIRE(db);
        auto batch = (*db)->make_batch();
        batch.put(engine::store::family::events, std::string{"ds1"} + std::string(1, '\0') + "s1:1:called:1", "{junk");
        REQUIRE((*db)->write(batch, true));
    }
    w.open_notifier();
    auto const now = std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
    auto const all = w.store->redrive_all(salon_id{"s1"}, now, 1000);
    REQUIRE_FALSE(all);
    CHECK(all.error().find("a stored dead letter") != std::string::npos);
}

TEST_CASE("notify: stored settings that today's input rules refuse still open the store, as they are") {
    world w;
    salon_settings old{"ftp://legacy.example/hook", "short", {}, 80}; // a secret too short, attempts out of range
    old.rules.almost_at = 70;
    REQUIRE(w.store->put_settings(salon_id{"s2"}, old));
    w.close_notifier();
    w.open_notifier(); // REQUIREs that it opens
    CHECK(w.store->settings(salon_id{"s2"}) == old);
    CHECK_FALSE(read_settings(encode_settings(old))); // the input path stays strict
}

TEST_CASE("notify: take_in (Kafka mode) puts each id in once, with the topic's offsets; a dead letter stays dead") {
    temp_dir dir;
    auto store = notify_store::open(dir / "notify", 4);
    REQUIRE(store);
    auto const now = engine::instant{milliseconds{1'700'000'000'000}};
    auto const record = [&](std::string id) { return delivery{std::move(id), salon_id{"s1"}, "{}", 0, now, {}}; };

    // A batch with a repeat in it: each id once, and partition 2's next offset in the same write.
    std::vector<delivery> const first{record("s1:1:called:1"), record("s1:2:called:2"), record("s1:1:called:1")};
    auto joined = (*store)->take_in(first, {{2, 7}});
    REQUIRE(joined);
    CHECK(*joined == 2);
    CHECK((*store)->pending() == 2);
    CHECK((*store)->next_offset(engine::partition_id{2}).value() == 7);

    // One becomes a dead letter; the same records read again (a commit lost) put neither back, a new one joins.
    auto due = (*store)->take_due(now, 10);
    REQUIRE(due.size() == 1); // one of a salon's deliveries in flight at a time
    REQUIRE((*store)->failed(due[0].id, "http 500", std::nullopt));
    auto const other = (*store)->take_due(now, 10);
    REQUIRE(other.size() == 1);
    std::vector<delivery> const again{record(due[0].id), record(other[0].id), record("s1:3:called:3")};
    joined = (*store)->take_in(again, {{2, 9}});
    REQUIRE(joined);
    CHECK(*joined == 1);
    CHECK((*store)->pending() == 2);
    CHECK(*(*store)->dead_count(salon_id{"s1"}) == 1);

    // Durable: a reopened store has the outbox and the offsets.
    store->reset();
    store = notify_store::open(dir / "notify", 4);
    REQUIRE(store);
    CHECK((*store)->pending() == 2);
    CHECK((*store)->next_offset(engine::partition_id{2}).value() == 9);
    CHECK((*store)->next_offset(engine::partition_id{1}).value() == 0);
}

TEST_CASE("notify: a salon has one delivery in flight at a time, taken in the order of the events") {
    temp_dir dir;
    auto store = notify_store::open(dir / "notify", 4);
    REQUIRE(store);
    auto const now = engine::instant{milliseconds{1'700'000'000'000}};
    auto const record = [&](std::string salon, std::string id) {
        return delivery{std::move(id), salon_id{std::move(salon)}, "{}", 0, now, {}};
    };
    std::vector<delivery> const queued{record("slow", "slow:10:called:1"), record("slow", "slow:9:called:2"),
                                       record("slow", "slow:11:called:3"), record("a:b", "a:b:4:skipped:7"),
                                       record("a:b", "a:b:5:restored:7")};
    REQUIRE((*store)->take_in(queued, {{0, 5}}));

    // One of each salon, whatever the max, in event order (seq 9 before 10), so a slow receiver holds one sender.
    auto const first = (*store)->take_due(now, 10);
    REQUIRE(first.size() == 2);
    CHECK(first[0].id == "a:b:4:skipped:7");
    CHECK(first[1].id == "slow:9:called:2");
    CHECK((*store)->take_due(now, 10).empty()); // both salons have one in flight
    CHECK_FALSE((*store)->next_due().has_value());

    // The skip's delivery fails and waits a second: the restore, due now, goes meanwhile (the receiver orders a
    // ticket's notifications by seq: docs/notify.md), and the retry follows when due.
    REQUIRE((*store)->failed(first[0].id, "http 503", now + std::chrono::seconds{1}));
    REQUIRE((*store)->delivered(first[1].id));
    auto const next = (*store)->take_due(now, 10);
    REQUIRE(next.size() == 2);
    CHECK(next[0].id == "a:b:5:restored:7");
    CHECK(next[1].id == "slow:10:called:1");
    REQUIRE((*store)->delivered(next[0].id));
    CHECK((*store)->next_due() == now + std::chrono::seconds{1}); // the skip's retry; slow's next waits for its first
    auto const retried = (*store)->take_due(now + std::chrono::seconds{1}, 10);
    REQUIRE(retried.size() == 1);
    CHECK(retried[0].id == "a:b:4:skipped:7");
    CHECK((*store)->pending() == 3); // slow's two and the retry, all held or waiting: nothing lost
}

} // namespace salonq::test

namespace salonq::test {
namespace {

// A salon id that the log's partitioner puts on partition p of four.
std::string salon_on(std::int32_t p) {
    for (int i = 0;; ++i) {
        auto id = fmt::format("p{}-{}", p, i);
        if (engine::log::partition_for(id, 4) == p) {
            return id;
        }
    }
}

std::vector<engine::log_entry> entries_of(scenario const& s) { return {s.history().begin(), s.history().end()}; }

} // namespace

// kill -9 comes between checkpoints: the notifiers and offsets on disk are older than the done markers. The restart
// reads the partitions again one by one, and a checkpoint (here: a settings change) comes after the first and before
// the second: it may remove the markers of the first partition's salon, not those of the second's, which is not
// read again yet. Failed when every marker went at any checkpoint (the second salon's notification came back).
TEST_CASE("notify: after kill -9, a checkpoint during the re-read keeps the done markers of partitions not read yet") {
    temp_dir dir;
    receiver hook{std::string{secret}};
    salon_settings const settings{hook.url(), std::string{secret}, {}, 3};
    auto const first = salon_on(0);
    auto const last = salon_on(3);
    auto a = open_salon("Europe/London", first);
    a.given(walk_in("Ann"));
    auto b = open_salon("Europe/London", last);
    b.given(walk_in("Bo"));
    auto const now = utc(2026, 11, 30, 9, 0);
    {
        auto live = notify_store::open(dir / "live", 4);
        REQUIRE_MESSAGE(live, live.error());
        auto& store = **live;
        REQUIRE(store.put_settings(salon_id{first}, settings));
        REQUIRE(store.put_settings(salon_id{last}, settings));
        auto const ea = entries_of(a);
        auto const eb = entries_of(b);
        REQUIRE(store.apply(partition_id{0}, offset_t{0}, ea, now));
        REQUIRE(store.apply(partition_id{3}, offset_t{0}, eb, now));
        auto const due = store.take_due(now, 10);
        REQUIRE(due.size() == 2); // "almost your turn" for Ann and for Bo
        for (auto const& d : due) {
            REQUIRE(store.delivered(d.id));
        }
        // kill -9 now: what a crash leaves on disk is the directory as it is (WAL included), before any checkpoint
        std::filesystem::copy(dir / "live", dir / "crashed", std::filesystem::copy_options::recursive);
    }
    auto crashed = notify_store::open(dir / "crashed", 4);
    REQUIRE_MESSAGE(crashed, crashed.error());
    auto& store = **crashed;
    CHECK(store.next_offset(partition_id{0}) == offset_t{0}); // the checkpoint was older than the folds
    auto const ea = entries_of(a);
    auto const eb = entries_of(b);
    REQUIRE(store.apply(partition_id{0}, offset_t{0}, ea, now));
    REQUIRE(store.put_settings(salon_id{"other"}, settings)); // a checkpoint in the middle of the re-read
    REQUIRE(store.apply(partition_id{3}, offset_t{0}, eb, now));
    CHECK(store.pending() == 0); // neither delivered notification is queued again
}

// The notifiers are checkpointed a share at a time (notify_store.hpp): stored before the offsets of their sweep, and
// each done marker erased once a stored notifier holds its event. Six salons' mornings fold one entry at a time with
// quick sweeps (12 ms) while every due notification is delivered; copies of the directory taken between folds are the
// crashes. Each, folded again from its stored offsets, queues exactly the notifications not delivered before it:
// nothing lost, nothing sent twice. Fails if a share's end stores its own moment's offsets, or a marker goes while
// the stored notifier is older than its event.
TEST_CASE("notify: killed during a checkpoint's sweep, the re-read queues exactly what was not delivered") {
    temp_dir dir;
    receiver hook{std::string{secret}};
    salon_settings const settings{hook.url(), std::string{secret}, {}, 3};
    std::vector<scenario> salons;
    for (int k = 0; k < 6; ++k) {
        auto s = open_salon("Europe/London", "n" + std::to_string(k));
        walk_ins(s, 7);
        s.given(start("st1"), start("st2"), complete(1), start("st1"), complete(2), start("st2"));
        s.by(staff_actor("mgr")).given(skip(5));
        s.given(complete(3), start("st1"), complete(4), start("st2"));
        salons.push_back(std::move(s));
    }
    std::vector<engine::log_entry> entries; // the salons' events interleaved, as one partition holds them
    for (std::size_t i = 0; i < salons.front().history().size(); ++i) {
        for (auto const& s : salons) {
            if (i < s.history().size()) {
                entries.emplace_back(s.history()[i]);
            }
        }
    }
    auto const now = utc(2026, 11, 30, 9, 0);
    auto const open = [&](std::string const& name, std::chrono::milliseconds interval) {
        auto store = notify_store::open(dir / name, 1, notify_store::feed::events, interval, 0); // by the clock alone
        REQUIRE_MESSAGE(store, store.error());
        for (int k = 0; k < 6; ++k) {
            REQUIRE((*store)->put_settings(salon_id{"n" + std::to_string(k)}, settings));
        }
        return std::move(*store);
    };
    auto const pending_ids = [&](notify_store& store) { // delivers them all: a salon's next is due after its last
        std::set<std::string> ids;
        for (auto due = store.take_due(now, 100); !due.empty(); due = store.take_due(now, 100)) {
            for (auto const& d : due) {
                REQUIRE(store.delivered(d.id));
                ids.insert(d.id);
            }
        }
        return ids;
    };
    std::set<std::string> all; // what one fold of the whole log queues
    {
        auto whole = open("whole", std::chrono::seconds{5});
        REQUIRE(whole->apply(partition_id{0}, offset_t{0}, entries, now));
        all = pending_ids(*whole);
    }
    REQUIRE(all.size() > 50);

    std::vector<std::pair<std::string, std::set<std::string>>> crashes; // an image, and what was delivered by then
    {
        auto live = open("live", std::chrono::milliseconds{12});
        std::set<std::string> delivered;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            REQUIRE(live->apply(partition_id{0}, offset_t{static_cast<std::int64_t>(i)}, {&entries[i], 1}, now));
            for (auto const& d : live->take_due(now, 100)) {
                REQUIRE(live->delivered(d.id));
                delivered.insert(d.id);
            }
            std::this_thread::sleep_for(std::chrono::microseconds{600});
            if (i % 7 == 3) {
                auto const name = "crash-" + std::to_string(i);
                std::filesystem::copy(dir / "live", dir / name, std::filesystem::copy_options::recursive);
                crashes.emplace_back(name, delivered);
            }
        }
    }
    REQUIRE(crashes.size() > 10);
    for (auto const& [name, delivered] : crashes) {
        CAPTURE(name);
        auto store = notify_store::open(dir / name, 1);
        REQUIRE_MESSAGE(store, store.error());
        REQUIRE((*store)->apply(partition_id{0}, offset_t{0}, entries, now));
        auto const queued = pending_ids(**store);
        std::vector<std::string> twice;
        std::ranges::set_intersection(queued, delivered, std::back_inserter(twice));
        CHECK(twice.empty());
        std::set<std::string> both = queued;
        both.insert(delivered.begin(), delivered.end());
        CHECK(both == all);
    }
}

// An events log that has nothing more to read: partition 0 ends at `end` (what the test applied itself).
class read_to_the_end final : public engine::log::reader {
public:
    explicit read_to_the_end(std::int64_t end) : end_(end) {}
    [[nodiscard]] std::int32_t partition_count() const override { return 1; }
    std::expected<std::vector<engine::log::record>, engine::log::error> read(partition_id /*p*/, offset_t /*from*/,
                                                                             std::size_t /*max*/) override {
        return std::vector<engine::log::record>{};
    }
    std::expected<offset_t, engine::log::error> end_offset(partition_id /*p*/) override { return offset_t{end_}; }

private:
    std::int64_t end_;
};

// A lull after a burst: the notifier's consumer keeps reading and finds nothing. The notifiers and offsets the burst
// changed are still checkpointed by the clock, so a crash during the lull folds nothing again. Failed when only a
// read that found records wrote a share (the copy's offset stayed at 0).
TEST_CASE("notify: a quiet log still gets its checkpoint, by the clock") {
    temp_dir dir;
    receiver hook{std::string{secret}};
    auto s = open_salon("Europe/London", "n1");
    walk_ins(s, 5);
    auto const entries = entries_of(s);
    auto const now = utc(2026, 11, 30, 9, 0);
    {
        auto live = notify_store::open(dir / "live", 1, notify_store::feed::events, std::chrono::milliseconds{12}, 0);
        REQUIRE_MESSAGE(live, live.error());
        REQUIRE((*live)->put_settings(salon_id{"n1"}, salon_settings{hook.url(), std::string{secret}, {}, 3}));
        REQUIRE((*live)->apply(partition_id{0}, offset_t{0}, entries, now));
        read_to_the_end quiet{static_cast<std::int64_t>(entries.size())};
        for (int i = 0; i < 40; ++i) { // 80 ms of a consumer that finds nothing new
            REQUIRE((*live)->catch_up(quiet, now));
            std::this_thread::sleep_for(std::chrono::milliseconds{2});
        }
        std::filesystem::copy(dir / "live", dir / "crashed", std::filesystem::copy_options::recursive);
    }
    auto crashed = notify_store::open(dir / "crashed", 1);
    REQUIRE_MESSAGE(crashed, crashed.error());
    CHECK((*crashed)->next_offset(partition_id{0}) == offset_t{static_cast<std::int64_t>(entries.size())});
}

} // namespace salonq::test
