#pragma once

// A batch the Kafka worker has decided: what its transaction produces and commits, and what RocksDB records
// after the commit. Private to the Kafka worker (engine/kafka/detail).

#include "engine/domain/time.hpp"
#include "engine/kafka/detail/handles.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace salonq::engine::kafka::detail {

// One record for salonq.events; its key and value live in the batch's arena.
struct outcome_record {
    std::int32_t partition = 0;
    std::size_t key_at = 0;
    std::size_t key_size = 0;
    std::size_t value_at = 0;
    std::size_t value_size = 0;
    std::string_view type; // the "type" header: a name with static storage
};

// A command that got an outcome (events or a rejection): its dedupe entry is written once the records'
// offsets are known.
struct decided_command {
    std::string dedupe_key;
    instant received_at{};
    std::size_t first_record = 0;
    std::uint32_t count = 0;
};

struct kafka_batch {
    std::string arena; // keys and values of `records`, back to back
    std::vector<outcome_record> records;
    std::vector<decided_command> decided;
    std::map<std::int32_t, std::int64_t> next_offsets;       // salonq.commands offsets the transaction commits
    std::vector<std::pair<std::string, std::string>> states; // salonId -> encoded state after the batch
    // A checkpoint is written over a few batches (a sweep): the first records the committed offsets it will write,
    // each carries some of the salons changed before it (`states`), and the last writes those offsets.
    bool checkpoint_begin = false;
    bool checkpoint = false; // the last: with the batches since checkpoint_begin, every salon changed before it
    kafka::detail::group_metadata_ptr group; // the consumer group generation it was decided in
    std::size_t commands = 0;                // command messages consumed

    void add(std::int32_t partition, std::string_view key, std::string_view value, std::string_view type) {
        outcome_record r{partition, arena.size(), key.size(), 0, value.size(), type};
        arena.append(key);
        r.value_at = arena.size();
        arena.append(value);
        records.push_back(r);
    }
    [[nodiscard]] std::string_view key(outcome_record const& r) const { return {arena.data() + r.key_at, r.key_size}; }
    [[nodiscard]] std::string_view value(outcome_record const& r) const {
        return {arena.data() + r.value_at, r.value_size};
    }
    [[nodiscard]] bool empty() const noexcept { return commands == 0; }
};

} // namespace salonq::engine::kafka::detail
