// Which addresses a webhook may reach by default (label embedded: it lives with the notifier's I/O, but is pure):
// public ones only, so a salon manager cannot aim the notifier at the server's own network.

#include "notify/deliver/address_policy.hpp"
#include "notify/deliver/webhook_client.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

bool is_public(std::string const& text) {
    return salonq::notify::is_public_address(boost::asio::ip::make_address(text));
}

} // namespace

TEST_CASE("address policy: loopback, private, link-local, ULA and special blocks are not public") {
    for (auto const* a : {"127.0.0.1",
                          "127.255.0.9",
                          "0.0.0.0",
                          "10.1.2.3",
                          "172.16.0.1",
                          "172.31.255.255",
                          "192.168.1.1",
                          "169.254.169.254",
                          "100.64.0.1",
                          "224.0.0.1",
                          "255.255.255.255",
                          "198.18.0.1",
                          "192.0.2.1",
                          "::",
                          "::1",
                          "fc00::1",
                          "fd12:3456::1",
                          "fe80::1",
                          "fec0::1",
                          "ff02::1",
                          "::ffff:127.0.0.1",
                          "::ffff:169.254.169.254",
                          "::127.0.0.1",
                          "64:ff9b::a00:1",
                          "2002:a00:1::1",
                          "2001:db8::1",
                          "64:ff9b:1:a00:0:100:808:808",          // local-use NAT64 (RFC 8215): 10.0.0.1 behind a /48
                          "64:ff9b:0:1::808:808",                 // in 64:ff9b::/32, outside the well-known /96
                          "::ffff:0:a00:1",                       // IPv4-translated
                          "100::1",                               // discard-only
                          "2001:0:4136:e378:8000:63bf:f5ff:fffe", // Teredo: the client 10.0.0.1, inverted
                          "2001:2::1"}) {                         // IETF protocol assignments
        CAPTURE(a);
        CHECK_FALSE(is_public(a));
    }
}

TEST_CASE("address policy: public addresses are allowed") {
    for (auto const* a : {"93.184.216.34", "8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
                          "169.253.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
                          "2001:4860:4860::8888", "2a00:1450:4001:81c::200e"}) {
        CAPTURE(a);
        CHECK(is_public(a));
    }
}

TEST_CASE("address policy: literals in a URL's host; names are judged when resolved") {
    using salonq::notify::is_private_literal;
    CHECK(is_private_literal("127.0.0.1"));
    CHECK(is_private_literal("169.254.169.254"));
    CHECK(is_private_literal("10.0.0.1"));
    CHECK(is_private_literal("localhost"));
    CHECK(is_private_literal("api.localhost"));
    CHECK(is_private_literal("LOCALHOST")); // names are case-insensitive, and may end in the root's dot
    CHECK(is_private_literal("localhost."));
    CHECK(is_private_literal("Api.LocalHost."));
    CHECK_FALSE(is_private_literal("8.8.8.8"));
    CHECK_FALSE(is_private_literal("hooks.example.com"));
    // The older spellings of an IPv4 address that the resolver takes too.
    for (auto const* loopback : {"127.1", "0x7f000001", "2130706433", "0177.0.0.1", "0x7f.1"}) {
        CAPTURE(loopback);
        CHECK(is_private_literal(loopback));
    }
    CHECK(is_private_literal("0xa9fea9fe")); // 169.254.169.254, the cloud metadata address
    CHECK_FALSE(is_private_literal("0x08080808"));
    CHECK_FALSE(is_private_literal("8.8.8.8.example.com"));
}

TEST_CASE("webhook failures are recorded coarsely") {
    using namespace salonq::notify;
    CHECK(failure_reason(404) == "http 404");
    CHECK(to_string(post_errc::refused_private) == "refused: private address");
    CHECK(is_coarse_reason("http 503"));
    CHECK(is_coarse_reason("timeout"));
    CHECK(is_coarse_reason("connect failed"));
    CHECK_FALSE(is_coarse_reason("connect: Connection refused"));
    CHECK_FALSE(is_coarse_reason("resolve: Host not found (authoritative)"));
    CHECK_FALSE(is_coarse_reason("http 4040"));
}
