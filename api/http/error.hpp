#pragma once

// Every error the API answers, in one shape: {"error":{"code","message","field"}}. The engine's rejection codes
// and the codec's field-path errors are mapped to HTTP statuses here and nowhere else.

#include "api/http/response.hpp"
#include "engine/codec/errc.hpp"
#include "engine/domain/enums.hpp"

#include <string_view>

namespace salonq::api::http {

// The JSON error body; `field` (a JSON path such as `customer.phone`, or a parameter name) is left out when empty.
[[nodiscard]] std::string error_body(std::string_view code, std::string_view message, std::string_view field = {});
[[nodiscard]] response error_response(status code, std::string_view error_code, std::string_view message,
                                      std::string_view field = {});

// A body that does not decode: 400 when it is not JSON at all (or not UTF-8), 413 when too large, otherwise 422
// naming the field.
[[nodiscard]] response codec_error_response(engine::codec::error const& e);

// The status a decided-but-refused command gets: 404 for what does not exist, 403 for a role the salon's staff
// records refuse, 412 for a stale If-Match, 422 for an invalid value, 409 for what the queue's state refuses.
[[nodiscard]] status status_of(engine::rejection_code c) noexcept;

} // namespace salonq::api::http
