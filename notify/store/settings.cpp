#include "notify/store/settings.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/codec/json_writer.hpp"

#include <boost/asio/ip/address_v6.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace salonq::notify {
namespace {

namespace codec = engine::codec;

constexpr std::size_t longest_url = 2000;
constexpr std::size_t shortest_secret = 16;
constexpr std::size_t longest_secret = 256;
constexpr std::uint32_t most_attempts = 50;

// What a client sends is checked against today's rules (strict); what the store holds was checked when it was written,
// perhaps against other rules, and is read as it is (lenient): a rule made stricter later must not stop the store,
// and with it serve, from opening. A stored address that no longer parses fails its deliveries ("bad address").
enum class rules : std::uint8_t { strict, lenient };

salon_settings read(codec::object_view o, rules r) {
    auto const strict = r == rules::strict;
    salon_settings s;
    s.url = std::string{o.string("url", strict ? longest_url : codec::limits::message)};
    if (auto const u = parse_webhook_url(s.url); !u && strict) {
        codec::fail(codec::errc::invalid_value, o.path_of("url"), u.error());
    }
    s.secret = std::string{o.string("secret", strict ? longest_secret : codec::limits::message)};
    if (!strict) {
        s.rules.almost_at = static_cast<std::uint32_t>(o.opt_integer("almostAt", 0, UINT32_MAX).value_or(0));
        s.rules.called = !o.has("called") || o.boolean("called");
        s.rules.skipped = !o.has("skipped") || o.boolean("skipped");
        s.rules.restored = !o.has("restored") || o.boolean("restored");
        s.max_attempts = static_cast<std::uint32_t>(o.opt_integer("maxAttempts", 1, UINT32_MAX).value_or(8));
        return s; // fields a later version added are left alone (no finish())
    }
    auto const printable = [](char c) { return c > ' ' && c < '\x7f'; };
    if (s.secret.size() < shortest_secret || !std::ranges::all_of(s.secret, printable)) {
        codec::fail(codec::errc::invalid_value, o.path_of("secret"),
                    fmt::format("{} to {} printable ASCII characters, no spaces", shortest_secret, longest_secret));
    }
    s.rules.almost_at = static_cast<std::uint32_t>(
        o.opt_integer("almostAt", 0, notify_rules::max_almost_at).value_or(notify_rules::default_almost_at));
    s.rules.called = o.has("called") ? o.boolean("called") : true;
    s.rules.skipped = o.has("skipped") ? o.boolean("skipped") : true;
    s.rules.restored = o.has("restored") ? o.boolean("restored") : true;
    s.max_attempts = static_cast<std::uint32_t>(o.opt_integer("maxAttempts", 1, most_attempts).value_or(8));
    o.finish();
    return s;
}

// An IPv6 address as written between a URL's brackets: hex digits, colons and an IPv4 tail's dots only (no zone,
// "%eth0": a link's own, never a webhook's).
bool is_ipv6_literal(std::string const& host) {
    auto const v6_char = [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
    };
    if (!std::ranges::all_of(host, v6_char)) { // before the parser, which reads a C string: nothing after a NUL
        return false;
    }
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address_v6(host, ec);
    return !ec;
}

struct host_port {
    std::string host;
    std::optional<std::string> port; // none: the scheme's
};

// A URL's authority split into host and port: "host[:port]" with a host of letters, digits, dots and hyphens, or
// "[ipv6][:port]" (RFC 3986 3.2.2; the host kept without its brackets); none when it is neither (user info too).
std::optional<host_port> split_authority(std::string_view authority) {
    auto const port_after = [&](std::size_t colon) {
        return colon == std::string_view::npos ? std::nullopt : std::optional{std::string{authority.substr(colon + 1)}};
    };
    if (authority.starts_with('[')) {
        auto const end = authority.find(']');
        if (end == std::string_view::npos || (end + 1 != authority.size() && authority[end + 1] != ':')) {
            return std::nullopt;
        }
        host_port out{std::string{authority.substr(1, end - 1)},
                      port_after(end + 1 == authority.size() ? std::string_view::npos : end + 1)};
        return is_ipv6_literal(out.host) ? std::optional{std::move(out)} : std::nullopt;
    }
    auto const colon = authority.rfind(':');
    host_port out{std::string{authority.substr(0, colon)}, port_after(colon)};
    auto const name_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-';
    };
    return !out.host.empty() && std::ranges::all_of(out.host, name_char) ? std::optional{std::move(out)} : std::nullopt;
}

} // namespace

std::string encode_settings(salon_settings const& s) {
    codec::json_writer w;
    w.begin_object().field("url", s.url).field("secret", s.secret).field("almostAt", s.rules.almost_at);
    w.field("called", s.rules.called).field("skipped", s.rules.skipped).field("restored", s.rules.restored);
    w.field("maxAttempts", s.max_attempts).end_object();
    return w.str();
}

std::expected<salon_settings, std::string> decode_settings(std::string_view json) {
    try {
        return read(codec::as_object(codec::parse_document(json, codec::limits::message), ""), rules::lenient);
    } catch (codec::decode_failure& f) {
        return std::unexpected(f.err.path.empty() ? f.err.message : f.err.path + ": " + f.err.message);
    }
}

std::expected<salon_settings, codec::error> read_settings(std::string_view json) {
    try {
        return read(codec::as_object(codec::parse_document(json, codec::limits::message), ""), rules::strict);
    } catch (codec::decode_failure& f) {
        return std::unexpected(std::move(f.err));
    }
}

std::expected<webhook_url, std::string> parse_webhook_url(std::string_view url) {
    webhook_url u;
    std::string_view rest;
    if (url.starts_with("https://")) {
        u.tls = true;
        rest = url.substr(8);
    } else if (url.starts_with("http://")) {
        rest = url.substr(7);
    } else {
        return std::unexpected("must start with http:// or https://");
    }
    auto const slash = rest.find('/');
    auto const authority = rest.substr(0, slash);
    u.target = slash == std::string_view::npos ? "/" : std::string{rest.substr(slash)};
    auto const split = split_authority(authority);
    u.host = split ? split->host : std::string{};
    u.port = split && split->port ? *split->port : (u.tls ? "443" : "80");
    auto const port_ok =
        !u.port.empty() && u.port.size() <= 5 &&
        std::ranges::all_of(u.port, [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) &&
        std::stoi(u.port) >= 1 && std::stoi(u.port) <= 65535;
    auto const target_ok = std::ranges::none_of(
        u.target, [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0 || c == ' '; });
    if (!split || !port_ok || !target_ok) {
        return std::unexpected("not a webhook address: scheme://host[:port]/path, no user info or spaces");
    }
    return u;
}

} // namespace salonq::notify
