#pragma once

#include "engine/log/log.hpp"
#include "engine/store/rocks_store.hpp"

namespace salonq::engine::log {

// Reads one of the embedded log's column families (commands or events) as a partitioned log. Appends happen
// in the engine runtime's WriteBatch, together with state and offsets; this class only reads.
class embedded_reader final : public reader {
public:
    embedded_reader(store::rocks_store const& db, store::family f, std::int32_t partitions)
        : db_(db), family_(f), partitions_(partitions) {}

    [[nodiscard]] std::int32_t partition_count() const override { return partitions_; }
    [[nodiscard]] std::expected<std::vector<record>, error> read(partition_id p, offset_t from,
                                                                 std::size_t max) override;
    [[nodiscard]] std::expected<offset_t, error> end_offset(partition_id p) override;
    // Straight from a RocksDB iterator: no copy of a record.
    [[nodiscard]] std::expected<void, error> visit(partition_id p, offset_t from, offset_t to,
                                                   record_visitor const& see) override;

private:
    store::rocks_store const& db_;
    store::family family_;
    std::int32_t partitions_;
};

} // namespace salonq::engine::log
