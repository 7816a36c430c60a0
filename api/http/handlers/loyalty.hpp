#pragma once

// GET /v1/customers/{customerId}/loyalty?limit=N&after=CURSOR: a customer's points, across salons, as the token may
// see them: an admin token every salon's; any other the salons it names only, with a note saying so, and 404 when
// the customer earned nothing there (whether it earned elsewhere is not told). Decisions: docs/loyalty.md.

#include "api/http/router.hpp"

namespace salonq::api::http {

void get_customer_loyalty(services& ports, request const& req, replier reply);

} // namespace salonq::api::http
