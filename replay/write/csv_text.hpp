#pragma once

#include "replay/write/output.hpp"

#include <string_view>

namespace salonq::replay {

// RFC 4180 text: a field with a comma, a double quote or a line break goes in double quotes, its quotes doubled.
inline void write_csv_field(output& out, std::string_view v) {
    if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
        out.write(v);
        return;
    }
    out.put('"');
    for (char const c : v) {
        if (c == '"') {
            out.put('"');
        }
        out.put(c);
    }
    out.put('"');
}

// A row of fields, comma-separated and ended by CRLF.
template <typename Fields>
void write_csv_row(output& out, Fields const& fields) {
    bool first = true;
    for (auto const& f : fields) {
        if (!first) {
            out.put(',');
        }
        first = false;
        write_csv_field(out, f);
    }
    out.write("\r\n");
}

} // namespace salonq::replay
