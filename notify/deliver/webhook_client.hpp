#pragma once

#include "notify/store/settings.hpp"

#include <chrono>
#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace salonq::notify {

// One POST of a JSON body to a webhook, HTTP/1.1 over TCP or TLS (the system's CA certificates, the host name
// checked), with one deadline for the whole exchange: a receiver that stalls costs at most `timeout`. The answer's
// status, or why there was none.
[[nodiscard]] std::expected<int, std::string>
post_webhook(webhook_url const& url, std::string const& body,
             std::vector<std::pair<std::string, std::string>> const& headers, std::chrono::milliseconds timeout);

} // namespace salonq::notify
