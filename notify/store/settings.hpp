#pragma once

#include "engine/codec/errc.hpp"
#include "notify/derive/notification.hpp"

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace salonq::notify {

// Where and how a salon's notifications go: its webhook (http:// or https://), the secret that signs them, what is
// derived (rules) and how often a delivery is tried before it becomes a dead letter. Kept by the notifier, not in
// the events log: a secret never goes into the record everyone replays.
struct salon_settings {
    std::string url;
    std::string secret;
    notify_rules rules;
    std::uint32_t max_attempts = 8;
    friend bool operator==(salon_settings const&, salon_settings const&) = default;
};

// The settings' stored JSON (with the secret; the store's directory is private). decode_settings reads what the
// store holds leniently (types only: a value today's input rules refuse, or a field a later version added, is kept
// as it is), so a stricter rule never stops the store from opening.
[[nodiscard]] std::string encode_settings(salon_settings const& s);
[[nodiscard]] std::expected<salon_settings, std::string> decode_settings(std::string_view json);
// Today's input rules (address, secret, ranges, no unknown field) with the codec's error (code, field path,
// message): what the HTTP API answers a bad body with.
[[nodiscard]] std::expected<salon_settings, engine::codec::error> read_settings(std::string_view json);

// A webhook address split up: http or https, host (an IPv6 literal without its brackets), port, target.
struct webhook_url {
    bool tls = false;
    std::string host;
    std::string port;
    std::string target;
    // The host as a URL and a Host header write it: an IPv6 literal in brackets.
    [[nodiscard]] std::string host_as_written() const {
        return host.find(':') == std::string::npos ? host : "[" + host + "]";
    }
};
[[nodiscard]] std::expected<webhook_url, std::string> parse_webhook_url(std::string_view url);

} // namespace salonq::notify
