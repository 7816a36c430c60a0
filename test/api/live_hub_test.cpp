// The live hub's fan-out, without sockets: a change is framed only for a salon someone watches, and a screen that
// joins after unwatched changes still starts from the newest view (never a frame the hub kept from before them).

#include "api/http/live/live_hub.hpp"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace live_hub_test {

namespace {

using namespace salonq::api::http;

// A connection that keeps what it is handed.
class screen final : public live_subscriber {
public:
    void deliver(frame_ptr const& frame) override { seen.push_back(frame->seq); }
    void close() override { ++closed; }
    [[nodiscard]] bool stuck(std::chrono::steady_clock::time_point now) const noexcept override {
        return stuck_since && now - *stuck_since > std::chrono::seconds{10};
    }
    std::vector<std::uint64_t> seen;
    int closed = 0;
    std::optional<std::chrono::steady_clock::time_point> stuck_since; // a frame in writing since
};

// The read model the hub loads from: a view (its seq and body) per salon.
struct read_model {
    std::map<std::string, std::pair<std::uint64_t, std::string>> views;
    int loads = 0;
    live_hub hub{[this](std::string const& salon) -> frame_ptr {
        ++loads;
        auto it = views.find(salon);
        return it == views.end() ? nullptr : make_frame(it->second.first, it->second.second);
    }};
    int frames_made = 0;
    // A change of the salon's view, published as the queue views' subscriber does.
    void change(std::string const& salon, std::uint64_t seq, std::string body) {
        views[salon] = {seq, body};
        hub.publish(salon, seq, [&] {
            ++frames_made;
            return make_frame(seq, body);
        });
    }
};

} // namespace

TEST_CASE("live hub: unwatched changes make no frame; a screen joining later starts from the newest view") {
    read_model m;
    m.change("a", 1, R"({"v":1})");
    auto const first = m.hub.latest("a"); // a page asked once (e.g. the salon's existence check)
    REQUIRE(first);
    CHECK(first->seq == 1);
    m.change("a", 2, R"({"v":2})");
    m.change("a", 3, R"({"v":3})");
    CHECK(m.frames_made == 0);

    auto s = std::make_shared<screen>();
    auto const id = m.hub.join("a", s, {});
    auto const now = m.hub.latest("a");
    REQUIRE(now);
    CHECK(now->seq == 3); // not the frame of seq 1 kept from before
    CHECK(now->ws.find(R"({"v":3})") != std::string::npos);

    m.change("a", 4, R"({"v":4})");
    CHECK(m.frames_made == 1);
    CHECK(s->seen == std::vector<std::uint64_t>{4});
    m.hub.leave("a", id);
    m.change("a", 5, R"({"v":5})");
    CHECK(m.frames_made == 1);
    CHECK(s->seen == std::vector<std::uint64_t>{4});
}

TEST_CASE("live hub: a view rebuilt at the same seq while nobody watches is what the next screen gets") {
    read_model m;
    m.change("a", 7, R"({"v":"old"})");
    REQUIRE(m.hub.latest("a"));
    m.change("a", 7, R"({"v":"rebuilt"})"); // a rebuild hands every salon's view again, at its seq
    auto s = std::make_shared<screen>();
    [[maybe_unused]] auto const id = m.hub.join("a", s, {});
    auto const now = m.hub.latest("a");
    REQUIRE(now);
    CHECK(now->ws.find("rebuilt") != std::string::npos);
}

TEST_CASE("live hub: a load that raced a change does not stay as the latest") {
    read_model m;
    m.change("a", 1, R"({"v":1})");
    REQUIRE(m.hub.latest("a"));
    // The read model moved to seq 2 and its change was published with nobody watching; then a slow loader
    // (started before the change) hands in seq 1: simulated by publishing that older frame directly.
    m.change("a", 2, R"({"v":2})");
    m.hub.publish("a", make_frame(1, R"({"v":1})"));
    auto const now = m.hub.latest("a");
    REQUIRE(now);
    CHECK(now->seq == 2);
}

TEST_CASE("live hub: a change published while the first load of a salon is under way is not hidden by that load") {
    std::map<std::string, std::pair<std::uint64_t, std::string>> views{{"a", {4, R"({"v":4})"}}};
    live_hub* hub_ptr = nullptr;
    bool raced = false;
    live_hub hub{[&](std::string const& salon) -> frame_ptr {
        auto const [seq, body] = views.at(salon);
        if (!raced) { // the views move on while this load is under way, and nobody watches yet
            raced = true;
            views["a"] = {5, R"({"v":5})"};
            hub_ptr->publish("a", 5, [] { return make_frame(5, R"({"v":5})"); });
        }
        return make_frame(seq, body);
    }};
    hub_ptr = &hub;
    REQUIRE(hub.latest("a")); // e.g. the route's check that the salon exists
    auto s = std::make_shared<screen>();
    [[maybe_unused]] auto const id = hub.join("a", s, {});
    auto const now = hub.latest("a");
    REQUIRE(now);
    CHECK(now->seq == 5);
}

TEST_CASE("live hub: two screens loading at once, the later load in first: the change still reaches both") {
    std::map<std::string, std::pair<std::uint64_t, std::string>> views{{"a", {4, R"({"v":4})"}}};
    live_hub* hub_ptr = nullptr;
    int loads = 0;
    frame_ptr first_screens;
    live_hub hub{[&](std::string const& salon) -> frame_ptr {
        if (loads++ == 0) {                       // B's load is under way...
            first_screens = hub_ptr->latest("a"); // ...while A's runs from start to end: seq 4
            views["a"] = {5, R"({"v":5})"};       // then the views apply seq 5; its publish is still on its way
        }
        auto const [seq, body] = views.at(salon);
        return make_frame(seq, body);
    }};
    hub_ptr = &hub;
    auto a = std::make_shared<screen>();
    auto b = std::make_shared<screen>();
    [[maybe_unused]] auto const ida = hub.join("a", a, {});
    [[maybe_unused]] auto const idb = hub.join("a", b, {});
    auto const second_screens = hub.latest("a");
    REQUIRE(first_screens);
    REQUIRE(second_screens);
    CHECK(first_screens->seq == 4);  // what A sends
    CHECK(second_screens->seq == 5); // what B sends
    hub.publish("a", 5, [] { return make_frame(5, R"({"v":5})"); });
    CHECK(a->seen == std::vector<std::uint64_t>{5}); // A would stay at 4 until the next change
    CHECK(b->seen == std::vector<std::uint64_t>{5}); // B passes over it (newer_frame)
}

TEST_CASE("live hub: a connection sends a later seq, or its seq again only as another view") {
    std::string const sent = R"({"v":"old"})";
    CHECK(newer_frame(8, sent, 7, &sent));
    CHECK(newer_frame(8, sent, 7, nullptr));
    CHECK_FALSE(newer_frame(6, R"({"v":"x"})", 7, &sent));
    CHECK_FALSE(newer_frame(7, sent, 7, &sent));                   // a race's repeat
    CHECK(newer_frame(7, R"({"v":"rebuilt"})", 7, &sent));         // a view rebuilt at the same seq
    CHECK_FALSE(newer_frame(7, R"({"v":"rebuilt"})", 7, nullptr)); // at its resume point it has that seq
}

TEST_CASE("live hub: the screens whose token lapsed are ended, in every salon; the others stay") {
    read_model m;
    m.change("a", 1, R"({"v":1})");
    m.change("b", 1, R"({"v":1})");
    using salonq::api::auth::token_lease;
    std::chrono::sys_seconds const noon{std::chrono::hours{12}};
    auto revoked = std::make_shared<screen>();
    auto expired = std::make_shared<screen>();
    auto fine = std::make_shared<screen>();
    auto elsewhere = std::make_shared<screen>();
    [[maybe_unused]] auto const id1 = m.hub.join("a", revoked, token_lease{"j-revoked", "k1", noon});
    [[maybe_unused]] auto const id2 =
        m.hub.join("a", expired, token_lease{"j-expired", "k1", noon - std::chrono::hours{1}});
    [[maybe_unused]] auto const id3 = m.hub.join("a", fine, token_lease{"j-fine", "k1", noon});
    [[maybe_unused]] auto const id4 =
        m.hub.join("b", elsewhere, token_lease{"j-b", "k1", noon - std::chrono::hours{2}});
    std::vector<std::string> asked;
    auto const ended = m.hub.sweep(
        [&](token_lease const& lease) {
            asked.push_back(lease.jti);
            return lease.jti == "j-revoked" || lease.expires < noon;
        },
        std::chrono::steady_clock::now());
    CHECK(ended.lapsed == 3);
    CHECK(ended.stuck == 0);
    CHECK(asked.size() == 4); // every screen's lease was asked about, once
    CHECK(revoked->closed == 1);
    CHECK(expired->closed == 1);
    CHECK(elsewhere->closed == 1);
    CHECK(fine->closed == 0);
    m.change("a", 2, R"({"v":2})");
    CHECK(fine->seen == std::vector<std::uint64_t>{2});
    // The ended ones are still in the hub until their sessions go (here: never): the next sweep passes over them.
    asked.clear();
    auto const again = m.hub.sweep(
        [&](token_lease const& lease) {
            asked.push_back(lease.jti);
            return lease.jti != "j-fine";
        },
        std::chrono::steady_clock::now());
    CHECK(again.lapsed == 0);
    CHECK(asked == std::vector<std::string>{"j-fine"});
    CHECK(revoked->closed == 1);
}

TEST_CASE("live hub: a screen stuck in a write past its timeout is ended by the sweep, once; a writing one stays") {
    read_model m;
    m.change("a", 1, R"({"v":1})");
    using salonq::api::auth::token_lease;
    auto const now = std::chrono::steady_clock::now();
    auto deaf = std::make_shared<screen>();
    auto slow = std::make_shared<screen>();
    auto idle = std::make_shared<screen>();
    deaf->stuck_since = now - std::chrono::seconds{11};
    slow->stuck_since = now - std::chrono::seconds{9};
    std::chrono::sys_seconds const noon{std::chrono::hours{12}};
    [[maybe_unused]] auto const id1 = m.hub.join("a", deaf, token_lease{"j1", "k1", noon});
    [[maybe_unused]] auto const id2 = m.hub.join("a", slow, token_lease{"j2", "k1", noon});
    [[maybe_unused]] auto const id3 = m.hub.join("a", idle, token_lease{"j3", "k1", noon});
    auto const fine = [](token_lease const&) { return false; };
    auto const first = m.hub.sweep(fine, now);
    CHECK(first.stuck == 1);
    CHECK(first.lapsed == 0);
    CHECK(deaf->closed == 1);
    CHECK(slow->closed == 0);
    CHECK(idle->closed == 0);
    auto const later = m.hub.sweep(fine, now + std::chrono::seconds{2});
    CHECK(later.stuck == 1); // the slow one now; the deaf one is not counted again
    CHECK(deaf->closed == 1);
    CHECK(slow->closed == 1);
    CHECK(idle->closed == 0);
}

// A connection that leaves the hub when it is destroyed, as the sessions do, and whose peer goes (its last other
// holder lets go) while the sweep asks it whether it is stuck.
class leaving_screen final : public live_subscriber {
public:
    leaving_screen(live_hub& hub, std::shared_ptr<live_subscriber>& holder) : hub_(hub), holder_(holder) {}
    ~leaving_screen() override { hub_.leave("a", id); }
    leaving_screen(leaving_screen const&) = delete;
    leaving_screen& operator=(leaving_screen const&) = delete;
    void deliver(frame_ptr const&) override {}
    void close() override {}
    [[nodiscard]] bool stuck(std::chrono::steady_clock::time_point) const noexcept override {
        holder_.reset(); // the peer went: the sweep's hold is the last
        return false;
    }
    std::uint64_t id = 0;

private:
    live_hub& hub_;
    std::shared_ptr<live_subscriber>& holder_;
};

TEST_CASE("live hub: a screen whose peer goes while the sweep asks about it leaves the hub, without a deadlock") {
    read_model m;
    m.change("a", 1, R"({"v":1})");
    using salonq::api::auth::token_lease;
    std::shared_ptr<live_subscriber> holder;
    auto screen = std::make_shared<leaving_screen>(m.hub, holder);
    screen->id = m.hub.join("a", screen, token_lease{"j1", "k1", std::chrono::sys_seconds{std::chrono::hours{12}}});
    holder = std::move(screen);
    CHECK(m.hub.connections() == 1);
    auto const swept = m.hub.sweep([](token_lease const&) { return false; }, std::chrono::steady_clock::now());
    CHECK(swept.stuck == 0);
    CHECK(holder == nullptr);
    CHECK(m.hub.connections() == 0); // it left as it went
}

TEST_CASE("live hub: streams asked for at once cannot pass the cap; a seat is the stream's once it joins") {
    read_model m;
    m.change("a", 1, R"({"v":1})");
    // Two WebSockets asked for at once, both still in their handshakes: neither has joined, both hold a place.
    auto first = m.hub.take_seat(2);
    auto second = m.hub.take_seat(2);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(m.hub.connections() == 2);
    CHECK_FALSE(m.hub.take_seat(2)); // a third is refused before any of them opens

    auto a = std::make_shared<screen>();
    auto const id = m.hub.join("a", a, {}, std::move(first)); // its handshake done: the place is the stream's
    CHECK(m.hub.connections() == 2);
    second = {}; // the other's handshake failed: its place comes back
    CHECK(m.hub.connections() == 1);
    auto third = m.hub.take_seat(2);
    CHECK(third);
    CHECK(m.hub.connections() == 2);
    m.hub.leave("a", id);
    CHECK(m.hub.connections() == 1);
    third = {};
    CHECK(m.hub.connections() == 0);
}

} // namespace live_hub_test
