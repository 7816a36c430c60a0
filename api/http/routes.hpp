#pragma once

// Every route of the server, in one table: the API's (which the OpenAPI test walks) and then the screens' pages
// and files (web/), which are not part of the API's contract.

#include "api/http/router.hpp"

#include <span>

namespace salonq::api::http {

// The API's routes: what schemas/openapi.yaml describes.
[[nodiscard]] std::span<route const> api_routes() noexcept;
// What a server dispatches: the API's routes and the screens'.
[[nodiscard]] std::span<route const> served_routes() noexcept;

} // namespace salonq::api::http
