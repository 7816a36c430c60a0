#pragma once

// A value of an HTTP answer's JSON body by JSON pointer ("/error/field"), for the HTTP tests' checks: "<none>" or
// -1 when the body has no such value (so a CHECK prints what it got instead of throwing).

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace salonq::test {

inline std::string text_at(std::string const& body, std::string_view pointer) {
    simdjson::dom::parser parser;
    std::string_view out;
    return parser.parse(body).at_pointer(pointer).get(out) == simdjson::SUCCESS ? std::string{out} : "<none>";
}

inline std::int64_t int_at(std::string const& body, std::string_view pointer) {
    simdjson::dom::parser parser;
    std::int64_t out = -1;
    return parser.parse(body).at_pointer(pointer).get(out) == simdjson::SUCCESS ? out : -1;
}

} // namespace salonq::test
