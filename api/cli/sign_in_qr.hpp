#pragma once

// `salonq token issue --sign-in URL`: a screen's sign-in link (the page, the salon, and the token in the address's
// fragment, which browsers never send to a server) and the same link as a QR code drawn with block characters, so
// a tablet or a TV signs in by pointing its camera at the manager's terminal instead of someone typing 300
// characters. The QR code is libqrencode's (Debian's libqrencode), not drawn by hand.

#include <expected>
#include <string>
#include <string_view>

namespace salonq::api {

// "URL?salon=S#token=T" (URL's own query kept, `salon` added when there is exactly one salon).
[[nodiscard]] std::string sign_in_link(std::string_view page, std::string_view salon, std::string_view token);

// The text as a QR code (error correction L), two module rows per line with half blocks, light modules drawn: it
// reads on a dark terminal, with a quiet zone of two modules around it. An error when the text does not fit.
[[nodiscard]] std::expected<std::string, std::string> qr_text(std::string_view text);

} // namespace salonq::api
