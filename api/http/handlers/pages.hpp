#pragma once

// The screens (web/): the pages at "/", "/board", "/console", "/owner", a customer's page at
// "/t/{salonId}/{ticketId}/{code}" and their files under "/assets/". Open routes: a page holds no data, it asks the
// API for it with the token the user gives it (or, on a customer's page, with the link's code). Each answer has
// its ETag (the file's hash), is revalidated on every load (a new build shows at once) and gzip when asked.

#include "api/http/router.hpp"

#include <string_view>

namespace salonq::api::http {

// The Content-Security-Policy of the pages: their own scripts, styles and API only (no inline script, no other
// origin), so an injected string can never run.
inline constexpr std::string_view page_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The page of the route's pattern ("/board" serves web/assets/board.html; "/" index.html).
void get_page(services& ports, request const& req, replier reply);
// A customer's page: the same page for every link; it asks the API whether the link is valid.
void get_customer_page(services& ports, request const& req, replier reply);
// The customer's page link as a QR code (SVG) for the console to show the customer: the same 404 as the ticket
// link for every wrong link; the address is the one the console reached this server at (its Host header).
void get_customer_qr(services& ports, request const& req, replier reply);
// A file of web/assets by name ("/assets/app.css").
void get_asset(services& ports, request const& req, replier reply);

} // namespace salonq::api::http
