#include "notify/deliver/address_policy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>

namespace salonq::notify {
namespace {

struct v4_block {
    std::uint32_t base;
    int bits;
};

// IANA special-purpose IPv4 blocks a webhook has no business reaching (RFC 6890 and successors).
constexpr std::array<v4_block, 13> special_v4{{
    {0x00000000U, 8},  // "this network", 0.0.0.0 reaches the local host
    {0x0A000000U, 8},  // 10/8 private
    {0x64400000U, 10}, // 100.64/10 shared (carrier-grade NAT)
    {0x7F000000U, 8},  // 127/8 loopback
    {0xA9FE0000U, 16}, // 169.254/16 link-local (cloud metadata)
    {0xAC100000U, 12}, // 172.16/12 private
    {0xC0000000U, 24}, // 192.0.0/24 IETF protocol assignments
    {0xC0000200U, 24}, // 192.0.2/24 documentation
    {0xC0A80000U, 16}, // 192.168/16 private
    {0xC6120000U, 15}, // 198.18/15 benchmarking
    {0xC6336400U, 24}, // 198.51.100/24 documentation
    {0xCB007100U, 24}, // 203.0.113/24 documentation
    {0xE0000000U, 3},  // 224/4 multicast and 240/4 reserved, broadcast
}};

bool is_public_v4(std::uint32_t a) noexcept {
    for (auto const& b : special_v4) {
        auto const mask = ~std::uint32_t{0} << (32 - b.bits);
        if ((a & mask) == b.base) {
            return false;
        }
    }
    return true;
}

std::uint32_t v4_at(boost::asio::ip::address_v6::bytes_type const& b, std::size_t i) noexcept {
    return (std::uint32_t{b[i]} << 24U) | (std::uint32_t{b[i + 1]} << 16U) | (std::uint32_t{b[i + 2]} << 8U) |
           std::uint32_t{b[i + 3]};
}

bool is_public_v6(boost::asio::ip::address_v6 const& a) noexcept {
    auto const b = a.to_bytes();
    if (a.is_v4_mapped()) {
        return is_public_v4(v4_at(b, 12));
    }
    auto const first12_zero = [&] {
        for (std::size_t i = 0; i < 12; ++i) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }();
    if (first12_zero) {
        return false; // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
    }
    auto const zero = [&](std::size_t from, std::size_t to) {
        return std::all_of(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(to),
                           [](unsigned char x) { return x == 0; });
    };
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
        // 64:ff9b::/96 NAT64: the IPv4 inside. The rest of 64:ff9b::/32 (64:ff9b:1::/48 local-use NAT64, RFC 8215,
        // with the IPv4 anywhere in it) is not globally reachable.
        return zero(4, 12) && is_public_v4(v4_at(b, 12));
    }
    if (b[0] == 0x20 && b[1] == 0x02) { // 2002::/16 6to4: the IPv4 inside
        return is_public_v4(v4_at(b, 2));
    }
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) { // 2001:db8::/32 documentation
        return false;
    }
    // Not globally reachable (IANA's IPv6 special-purpose registry), and some hide an IPv4 address a translator
    // or relay would reach: ::ffff:0:0/96 IPv4-translated, 100::/64 discard-only, 2001::/23 IETF protocol
    // assignments (Teredo's 2001::/32 among them, its client's IPv4 inverted).
    auto const v4_translated = zero(0, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0;
    auto const discard = b[0] == 0x01 && zero(1, 8);
    auto const ietf = b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xfeU) == 0x00U;
    if (v4_translated || discard || ietf) {
        return false;
    }
    auto const fc00_7 = (b[0] & 0xfeU) == 0xfcU;                  // unique local
    auto const fe80_10 = b[0] == 0xfe && (b[1] & 0xc0U) == 0x80U; // link-local
    auto const fec0_10 = b[0] == 0xfe && (b[1] & 0xc0U) == 0xc0U; // site-local (deprecated)
    auto const ff00_8 = b[0] == 0xff;                             // multicast
    return !(fc00_7 || fe80_10 || fec0_10 || ff00_8);
}

} // namespace

bool is_public_address(boost::asio::ip::address const& a) noexcept {
    return a.is_v4() ? is_public_v4(a.to_v4().to_uint()) : is_public_v6(a.to_v6());
}

bool is_private_literal(std::string_view written) noexcept {
    // Host names are case-insensitive and may end in the root's dot: LOCALHOST and localhost. are localhost.
    std::string host{written.ends_with('.') ? written.substr(0, written.size() - 1) : written};
    std::ranges::transform(host, host.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (host == "localhost" || host.ends_with(".localhost")) { // RFC 6761: always the loopback
        return true;
    }
    boost::system::error_code ec;
    auto const a = boost::asio::ip::make_address(host, ec);
    if (!ec) {
        return !is_public_address(a);
    }
    // The older IPv4 spellings the resolver also takes ("127.1", "0x7f000001", "2130706433", "0177.0.0.1"):
    // inet_aton reads them as getaddrinfo will.
    in_addr v4{};
    return inet_aton(host.c_str(), &v4) != 0 && !is_public_address(boost::asio::ip::address_v4{ntohl(v4.s_addr)});
}

} // namespace salonq::notify
