#pragma once

#include "notify/store/settings.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace salonq::notify {

// Why a delivery attempt got no answer, coarsely: this is what the salon's readers see as a dead letter's
// lastError (the system's own message, which would tell them about the server's network, goes to the log only).
enum class post_errc : std::uint8_t {
    refused_private, // every address the host resolved to is private, loopback or link-local (not allowed)
    resolve_failed,  // the host name did not resolve
    connect_failed,  // no TCP connection
    tls_failed,      // the TLS handshake or the certificate check failed
    timeout,         // the deadline passed, connect to answer
    no_answer,       // the connection broke while writing or reading
    bad_address,     // the stored webhook address does not parse
    no_webhook,      // the salon has no settings any more
    internal,        // anything else (e.g. TLS set-up)
};
[[nodiscard]] std::string_view to_string(post_errc e) noexcept;

struct post_failure {
    post_errc code;
    std::string detail; // for the server's log
};

// What a failed attempt records as its lastError: the class, or "http <status>" for an answer but 2xx.
[[nodiscard]] std::string failure_reason(int http_status);
// Whether a stored lastError is one of those (older records may hold a system message: shown as "failed").
[[nodiscard]] bool is_coarse_reason(std::string_view stored) noexcept;

struct post_options {
    std::chrono::milliseconds timeout{5000}; // the whole exchange
    bool allow_private = false;              // see address_policy.hpp
};

// One POST of a JSON body to a webhook, HTTP/1.1 over TCP or TLS (the system's CA certificates, the host name
// checked), with one deadline for the whole exchange: a receiver that stalls costs at most `timeout`. Only the
// resolved addresses the policy allows are connected to. The answer's status, or why there was none.
[[nodiscard]] std::expected<int, post_failure>
post_webhook(webhook_url const& url, std::string const& body,
             std::vector<std::pair<std::string, std::string>> const& headers, post_options const& options);

} // namespace salonq::notify
