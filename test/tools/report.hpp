#pragma once

// How the schema test's tools (codec_tool, view_tool) report a line the codec refuses: `line N: code path message`
// on stderr, and exit status 1, which check_schemas.py matches.

#include "engine/codec/errc.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <cstdio>

namespace salonq::test {

inline int report(std::size_t line, engine::codec::error const& e) {
    fmt::print(stderr, "line {}: {} {} {}\n", line, engine::codec::to_string(e.code),
               e.path.empty() ? "(message)" : e.path, e.message);
    return 1;
}

} // namespace salonq::test
