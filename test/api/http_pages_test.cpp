// The screens' pages and files over a real serve stack (labels embedded, http): served without a token with their
// own CSP, revalidated by ETag (304), gzip as its own representation, nothing but the embedded files, a customer's
// QR code only for a valid link, and the page routes kept out of the API's contract.

#include "api/http/routes.hpp"
#include "test/support/http_client.hpp"
#include "test/support/http_salon.hpp"
#include "test/support/http_server.hpp"
#include "test/support/json_at.hpp"
#include "web/qr.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

// In its own namespace: the program is a unity build, and its files' file-local names must not meet.
namespace http_pages_test {

namespace {

using salonq::api::auth::role;
using salonq::test::http_client;
using salonq::test::http_fixture;
using salonq::test::text_at;

} // namespace

TEST_CASE("http pages: every page without a token, with its own CSP; ETag revalidation; gzip apart") {
    http_fixture server;
    http_client anyone{server.port()};
    for (auto const* page : {"/", "/board", "/console", "/owner", "/t/s1/1/any-code"}) {
        CAPTURE(page);
        auto const answer = anyone.get(page);
        REQUIRE(answer.status == 200);
        CHECK(answer.header("Content-Type") == "text/html; charset=utf-8");
        CHECK(answer.header("Content-Security-Policy").starts_with("default-src 'none'; script-src 'self';"));
        CHECK(answer.header("X-Frame-Options") == "DENY");
        CHECK(answer.body.starts_with("<!doctype html>"));
    }
    auto const js = anyone.get("/assets/app.js");
    REQUIRE(js.status == 200);
    CHECK(js.header("Content-Type") == "text/javascript; charset=utf-8");
    auto const etag = js.header("ETag");
    CHECK(anyone.get("/assets/app.js", {{"If-None-Match", etag}}).status == 304);
    CHECK(anyone.get("/assets/app.js", {{"If-None-Match", "\"other\""}}).status == 200);

    auto const gz = anyone.get("/assets/app.js", {{"Accept-Encoding", "gzip"}});
    REQUIRE(gz.status == 200);
    CHECK(gz.header("Content-Encoding") == "gzip");
    CHECK(gz.body.size() < js.body.size());
    CHECK(gz.header("ETag") != etag); // another representation, another strong ETag
    CHECK(anyone.get("/assets/app.js", {{"Accept-Encoding", "gzip"}, {"If-None-Match", gz.header("ETag")}}).status ==
          304);
}

TEST_CASE("http pages: only the embedded files, and no page under /assets/") {
    http_fixture server;
    http_client anyone{server.port()};
    for (auto const* missing :
         {"/assets/board.html", "/assets/nothing.js", "/assets/..%2Fapp.js", "/assets/", "/boards", "/console/x"}) {
        CAPTURE(missing);
        auto const answer = anyone.get(missing);
        CHECK(answer.status == 404);
        CHECK(answer.header("Content-Type") == "application/json");
    }
    CHECK(anyone.post("/board", "{}").status == 405);
}

TEST_CASE("http pages: a customer's QR code only for a valid link, with the address the console used") {
    http_fixture server;
    http_client admin{server.port(), server.admin_token()};
    salonq::test::open_salon_over_http(admin, "/v1/salons/s1");
    http_client pos{server.port(), server.token(role::pos, "s1")};
    auto const walk_in = pos.post("/v1/salons/s1/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})");
    REQUIRE(walk_in.status == 201);
    auto const link = text_at(walk_in.body, "/ticket/link"); // /v1/public/tickets/s1/1/CODE
    auto const page = "/t/" + link.substr(std::string{"/v1/public/tickets/"}.size());
    CHECK(text_at(walk_in.body, "/ticket/page") == page); // the customer's page, beside the JSON link

    http_client anyone{server.port()};
    auto const qr = anyone.get(page + "/qr.svg", {{"Host", "salon_desk.local:8080"}});
    REQUIRE(qr.status == 200);
    CHECK(qr.header("Content-Type") == "image/svg+xml");
    CHECK(qr.body.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    CHECK(qr.body.find("role=\"img\"") != std::string::npos);
    // The code of exactly the page's address as the console reached it (the same SVG drawn for that link).
    CHECK(qr.body ==
          salonq::web::qr_svg("http://salon_desk.local:8080" + page, "QR code of your ticket's page").value());

    CHECK(anyone.get("/t/s1/1/not-the-code/qr.svg").status == 404);
    CHECK(anyone.get("/t/s1/99/" + page.substr(page.rfind('/') + 1) + "/qr.svg").status == 404);
    auto const bad_host = anyone.get(page + "/qr.svg", {{"Host", "evil\"><script>"}});
    CHECK(bad_host.status == 400);
    CHECK(text_at(bad_host.body, "/error/code") == "invalid_host");
}

TEST_CASE("http pages: behind a proxy, serve --public-url is the address the QR code points at") {
    auto options = salonq::test::unlimited();
    options.public_url = "https://queue.example.com";
    http_fixture server{options};
    http_client admin{server.port(), server.admin_token()};
    salonq::test::open_salon_over_http(admin, "/v1/salons/s1");
    http_client pos{server.port(), server.token(role::pos, "s1")};
    auto const walk_in = pos.post("/v1/salons/s1/walk-ins", R"({"customer":{"name":"Bo"},"services":["HC"]})");
    REQUIRE(walk_in.status == 201);
    auto const page = "/t/" + text_at(walk_in.body, "/ticket/link").substr(std::string{"/v1/public/tickets/"}.size());
    CHECK(text_at(walk_in.body, "/ticket/page") == "https://queue.example.com" + page); // what a receipt prints
    http_client anyone{server.port()};
    auto const qr = anyone.get(page + "/qr.svg", {{"Host", "10.0.0.5:8080"}});
    REQUIRE(qr.status == 200);
    CHECK(qr.body == salonq::web::qr_svg("https://queue.example.com" + page, "QR code of your ticket's page").value());
    CHECK(anyone.get(page + "/qr.svg", {{"Host", "not a host"}}).status == 200); // the Host is not used at all
}

TEST_CASE("http pages: the page routes are served but are not the API's contract") {
    auto const api = salonq::api::http::api_routes();
    auto const served = salonq::api::http::served_routes();
    CHECK(served.size() > api.size());
    auto const has = [](auto const& routes, std::string_view pattern) {
        return std::ranges::any_of(routes, [&](auto const& r) { return r.pattern == pattern; });
    };
    for (auto const* page : {"/", "/board", "/console", "/owner", "/t/{salonId}/{ticketId}/{code}", "/assets/{file}"}) {
        CAPTURE(page);
        CHECK(has(served, page));
        CHECK_FALSE(has(api, page));
    }
    for (auto const& r : api) {
        CHECK(has(served, r.pattern));
    }
}

} // namespace http_pages_test
