#pragma once

#include "replay/write/output.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace salonq::replay {

// A number written with a fixed count of decimals (minutes to a tenth, fractions to a thousandth).
struct decimal {
    double value = 0;
    int places = 1;
};

// A report's result: named columns and rows of cells, written as CSV or as JSON lines (one object a row, numbers
// as numbers, an empty cell as null).
using cell = std::variant<std::monostate, std::int64_t, decimal, std::string>;
struct table {
    std::vector<std::string_view> columns;
    std::vector<std::vector<cell>> rows;
};

enum class table_format : std::uint8_t { csv, jsonl };
void write_table(output& out, table const& t, table_format f);

} // namespace salonq::replay
