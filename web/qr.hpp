#pragma once

// QR codes for the screens (libqrencode's matrices, Debian's libqrencode, not drawn by hand): a screen's sign-in
// link drawn in a terminal by `salonq token issue --sign-in URL`, so a tablet or a TV signs in by pointing its
// camera at the manager's terminal instead of someone typing 300 characters; and a customer's ticket link as SVG
// on the console, which the customer scans with their phone.

#include <expected>
#include <string>
#include <string_view>

namespace salonq::web {

// "URL?salon=S#token=T" (URL's own query kept, `salon` added when there is exactly one salon).
[[nodiscard]] std::string sign_in_link(std::string_view page, std::string_view salon, std::string_view token);

// The text as a QR code (error correction L), two module rows per line with half blocks, light modules drawn: it
// reads on a dark terminal, with a quiet zone of four modules around it. An error when the text does not fit.
[[nodiscard]] std::expected<std::string, std::string> qr_text(std::string_view text);

// The text as a QR code in SVG (error correction M, a quiet zone of four modules, dark on white, one path), with
// `label` as its accessible name.
[[nodiscard]] std::expected<std::string, std::string> qr_svg(std::string_view text, std::string_view label);

} // namespace salonq::web
