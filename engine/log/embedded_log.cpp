#include "engine/log/embedded_log.hpp"

#include "engine/log/keys.hpp"

namespace salonq::engine::log {

std::expected<std::vector<record>, error> embedded_reader::read(partition_id p, offset_t from, std::size_t max) {
    std::vector<record> out;
    auto const start = record_key(p, from);
    auto const end = partition_prefix(partition_id{p.value() + 1});
    auto scanned = db_.scan(family_, start, end, [&](std::string_view key, std::string_view value) {
        out.push_back(record{p, key_offset(key), {}, std::string{value}});
        return out.size() < max;
    });
    if (!scanned) {
        return std::unexpected(error{scanned.error().message});
    }
    return out;
}

std::expected<void, error> embedded_reader::visit(partition_id p, offset_t from, offset_t to,
                                                  record_visitor const& see) {
    if (to <= from) {
        return {};
    }
    auto scanned =
        db_.scan(family_, record_key(p, from), record_key(p, to), [&](std::string_view key, std::string_view value) {
            return see(record_view{p, key_offset(key), {}, value});
        });
    if (!scanned) {
        return std::unexpected(error{scanned.error().message});
    }
    return {};
}

std::expected<offset_t, error> embedded_reader::end_offset(partition_id p) {
    auto last = db_.last_key(family_, partition_prefix(p), partition_prefix(partition_id{p.value() + 1}));
    if (!last) {
        return std::unexpected(error{last.error().message});
    }
    auto const& key = *last;
    return key ? offset_t{key_offset(*key).value() + 1} : offset_t{0};
}

} // namespace salonq::engine::log
