#pragma once

#include "engine/codec/errc.hpp"
#include "engine/runtime/outcome.hpp"

#include <expected>
#include <string>

namespace salonq::api {

// The JSON line `salonq submit` prints for each input line:
//   {"line":1,"commandId":"c1","salonId":"s1","status":"accepted|rejected","duplicate":false,
//    "partition":3,"offset":17,"entries":[<events or the command_rejected record>]}
//   {"line":2,"status":"invalid","error":{"code":"unknown_field","path":"payload.x","message":"..."}}
//   {"line":3,"status":"failed","error":{"code":"local_store","message":"..."}}
[[nodiscard]] std::string outcome_json(std::size_t line, engine::runtime::outcome const& o);
[[nodiscard]] std::string invalid_json(std::size_t line, engine::codec::error const& e);
[[nodiscard]] std::string failed_json(std::size_t line, engine::runtime::error const& e);

} // namespace salonq::api
