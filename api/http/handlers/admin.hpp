#pragma once

// Admin routes for the read models: rebuild a projection without downtime and watch it (docs/projections.md).

#include "api/http/router.hpp"

namespace salonq::api::http {

// GET /v1/admin/projections: each projection's directory and its last rebuild.
void get_projections(services& ports, request const& req, replier reply);
// POST /v1/admin/projections/{name}/rebuild: 202 and the status; 404 for an unknown name; 409 while one runs.
void post_projection_rebuild(services& ports, request const& req, replier reply);

} // namespace salonq::api::http
