#include "replay/report/table.hpp"

#include "engine/codec/json_writer.hpp"
#include "replay/write/csv_text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace salonq::replay {
namespace {

std::string fixed(decimal d) { return fmt::format("{:.{}f}", std::isfinite(d.value) ? d.value : 0.0, d.places); }

std::string text_of(cell const& c) {
    struct {
        std::string operator()(std::monostate /*none*/) const { return {}; }
        std::string operator()(std::int64_t n) const { return std::to_string(n); }
        std::string operator()(decimal d) const { return fixed(d); }
        std::string operator()(std::string const& s) const { return s; }
    } constexpr text;
    return std::visit(text, c);
}

void write_json_row(output& out, table const& t, std::vector<cell> const& row) {
    engine::codec::json_writer w;
    w.begin_object();
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        w.key(t.columns[i]);
        auto const& c = row[i];
        if (std::holds_alternative<std::monostate>(c)) {
            w.null();
        } else if (auto const* n = std::get_if<std::int64_t>(&c)) {
            w.number(*n);
        } else if (auto const* d = std::get_if<decimal>(&c)) {
            w.raw(fixed(*d));
        } else {
            w.string(std::get<std::string>(c));
        }
    }
    w.end_object();
    out.write(w.view());
    out.put('\n');
}

} // namespace

void write_table(output& out, table const& t, table_format f) {
    if (f == table_format::jsonl) {
        for (auto const& row : t.rows) {
            write_json_row(out, t, row);
        }
        return;
    }
    write_csv_row(out, t.columns);
    std::vector<std::string> fields(t.columns.size());
    for (auto const& row : t.rows) {
        for (std::size_t i = 0; i < fields.size(); ++i) {
            fields[i] = text_of(row[i]);
        }
        write_csv_row(out, fields);
    }
}

} // namespace salonq::replay
