#pragma once

// Every route of the API, in one table: the server dispatches from it, the OpenAPI test walks it.

#include "api/http/router.hpp"

#include <span>

namespace salonq::api::http {

[[nodiscard]] std::span<route const> api_routes() noexcept;

} // namespace salonq::api::http
