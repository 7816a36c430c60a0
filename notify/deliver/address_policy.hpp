#pragma once

#include <boost/asio/ip/address.hpp>

#include <string_view>

namespace salonq::notify {

// Which addresses a webhook may reach. By default only public ones: a salon manager sets the webhook, so a private,
// loopback, link-local (cloud metadata at 169.254.169.254) or otherwise special address would let them probe the
// server's own network. The operator may allow them (serve --webhook-allow-private), e.g. for a receiver on the
// same host. Checked on the resolved address at connect time (so DNS rebinding cannot get past it), and on an IP
// literal when the settings are written.
[[nodiscard]] bool is_public_address(boost::asio::ip::address const& a) noexcept;
// A host as written in a URL that is an IP literal (or "localhost") naming a non-public address; host names are
// judged when they are resolved.
[[nodiscard]] bool is_private_literal(std::string_view host) noexcept;

} // namespace salonq::notify
