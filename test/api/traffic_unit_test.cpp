// The traffic driver's pure parts: the --url it takes, what it reads of a queue view (the schema's example) and of
// a command's answer, and the demo salons' staff.

#include "api/traffic/demo_salons.hpp"
#include "api/traffic/http_client.hpp"
#include "api/traffic/queue_snapshot.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

namespace traffic = salonq::api::traffic;

namespace {

std::string file(std::string const& path) {
    std::ifstream in{std::string{SALONQ_SOURCE_DIR} + "/" + path};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

TEST_CASE("traffic --url: host and port of http://HOST:PORT, anything else refused") {
    auto const u = traffic::parse_url("http://127.0.0.1:8080/");
    REQUIRE(u);
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == "8080");
    CHECK(u->url() == "http://127.0.0.1:8080");
    CHECK(traffic::parse_url("http://localhost:0/v1")->host == "localhost");
    CHECK_FALSE(traffic::parse_url("https://127.0.0.1:8443"));
    CHECK_FALSE(traffic::parse_url("127.0.0.1:8080"));
    CHECK_FALSE(traffic::parse_url("http://127.0.0.1"));
    CHECK_FALSE(traffic::parse_url("http://:8080"));
}

TEST_CASE("queue snapshot: the example view's catalogue, staff and tickets, and a ticket's price") {
    auto const q = traffic::parse_queue(file("schemas/examples/views/queue_view.json"));
    REQUIRE(q);
    CHECK(q->services.size() == 4);
    REQUIRE(q->find_staff("stf-chloe") != nullptr);
    CHECK(q->find_staff("stf-chloe")->on_duty);
    CHECK(q->find_staff("stf-chloe")->serving == std::optional<std::uint64_t>{1});
    CHECK(q->find_staff("stf-amara")->role == "owner");
    CHECK_FALSE(q->find_staff("stf-amara")->on_duty);
    CHECK(q->find_staff("nobody") == nullptr);
    REQUIRE(q->waiting.size() == 2);
    CHECK(q->waiting[0].id == 3);
    CHECK(q->waiting[1].services == std::vector<std::string>{"shave"});
    REQUIRE(q->serving.size() == 1);
    CHECK(q->serving[0].staff == "stf-chloe");
    CHECK(q->serving[0].duration_min == 45);
    CHECK(q->price_of(q->serving[0]) == 2500 + 1200); // cut + beard
    REQUIRE(q->skipped.size() == 1);
    CHECK(q->skipped[0].id == 2);
    CHECK_FALSE(traffic::parse_queue("not json"));
    CHECK_FALSE(traffic::parse_queue(R"({"waiting":[]})"));
}

TEST_CASE("command answer: a walk-in's ticket and link, a refusal's code") {
    auto const issued = traffic::parse_answer(
        R"({"status":"accepted","ticket":{"ticketId":7,"token":"A12","position":1,"durationMin":30,)"
        R"("link":"/v1/public/tickets/demo/7/abc_DEF-1"}})");
    CHECK(issued.ticket == std::optional<std::uint64_t>{7});
    CHECK(issued.link == "/v1/public/tickets/demo/7/abc_DEF-1");
    CHECK(issued.error_code.empty());
    auto const refused =
        traffic::parse_answer(R"({"error":{"code":"staff_busy","message":"busy"},"status":"rejected"})");
    CHECK_FALSE(refused.ticket);
    CHECK(refused.error_code == "staff_busy");
    CHECK(traffic::parse_answer("").error_code.empty());
}

TEST_CASE("demo salons: ops/run.sh's staff ids, stylists and a manager in each") {
    auto const demo = traffic::demo_salon("demo");
    CHECK(demo.manager().id == "max");
    CHECK(demo.stylists().size() == 3);
    CHECK(demo.stylists().front().id == "sam");
    for (auto const* id : {"north", "riverside", "elsewhere"}) {
        auto const s = traffic::demo_salon(id);
        CHECK(s.id == id);
        CHECK(s.stylists().size() >= 2);
        CHECK(s.manager().role == "manager");
        CHECK(s.catalogue.size() == 5);
    }
}
