#include "engine/runtime/state_checkpoint.hpp"

#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/log/keys.hpp"
#include "engine/log/partitioner.hpp"

#include <fmt/format.h>

namespace salonq::engine::runtime {
namespace {

error store_error(store::error const& e) { return error{errc::local_store, e.message}; }

// Shows each event of partition p from offset `from` to the log's end to `see`, decoded; `wanted` tells from the
// raw record whether to decode it at all. A record that does not decode is corrupt: states cannot be folded past it.
template <class Wanted, class See>
[[nodiscard]] std::expected<void, error> each_event(store::rocks_store const& db, partition_id p, std::int64_t from,
                                                    Wanted const& wanted, See const& see) {
    std::optional<error> failed;
    auto scanned =
        db.scan(store::family::events, log::record_key(p, offset_t{from}),
                log::partition_prefix(partition_id{p.value() + 1}), [&](std::string_view key, std::string_view value) {
                    if (!wanted(value)) {
                        return true;
                    }
                    auto entry = codec::decode_entry(value);
                    if (!entry) {
                        failed = error{errc::corrupt_record,
                                       fmt::format("events partition {} offset {} does not decode: {}", p.value(),
                                                   log::key_offset(key).value(), entry.error().message)};
                        return false;
                    }
                    if (auto const* e = std::get_if<event>(&*entry)) {
                        if (auto seen = see(*e); !seen) {
                            failed = std::move(seen.error());
                            return false;
                        }
                    }
                    return true;
                });
    if (!scanned) {
        return std::unexpected(store_error(scanned.error()));
    }
    if (failed) {
        return std::unexpected(std::move(*failed));
    }
    return {};
}

} // namespace

std::string states_offset_key(partition_id p) { return "s/" + log::partition_prefix(p); }

std::expected<std::int64_t, error> read_states_offset(store::rocks_store const& db, partition_id p) {
    auto stored = db.get(store::family::meta, states_offset_key(p));
    if (!stored) {
        return std::unexpected(store_error(stored.error()));
    }
    auto const& value = *stored;
    if (!value) {
        return 0;
    }
    if (value->size() != 8) {
        return std::unexpected(
            error{errc::corrupt_record, fmt::format("states offset of partition {} has the wrong size", p.value())});
    }
    return static_cast<std::int64_t>(log::get_u64(*value));
}

void put_states_offset(store::write_batch& wb, partition_id p, std::int64_t offset) {
    std::string value;
    log::put_u64(value, static_cast<std::uint64_t>(offset));
    wb.put(store::family::meta, states_offset_key(p), value);
}

std::expected<bool, error> fold_event(salon_state& s, event const& e) {
    if (e.seq.value() <= s.seq.value()) {
        return false; // already folded into the stored state
    }
    if (e.seq.value() != s.seq.value() + 1) {
        return std::unexpected(error{errc::corrupt_record, fmt::format("salon {}: event seq {} after {}",
                                                                       e.salon.value(), e.seq.value(), s.seq.value())});
    }
    evolve(s, e);
    return true;
}

std::expected<bool, error> fold_into(store::rocks_store const& db, state_cache& cache, event const& e) {
    auto loaded = load_state(db, cache, e.salon);
    if (!loaded) {
        return std::unexpected(std::move(loaded.error()));
    }
    auto* state = *loaded;
    if (state == nullptr) {
        state = &cache.emplace(e.salon.value(), salon_state{}).first->second;
        state->id = e.salon;
    }
    return fold_event(*state, e);
}

std::vector<std::pair<std::string, std::string>> encoded_states(state_cache const& states,
                                                                std::vector<std::string> const& salons) {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(salons.size());
    for (auto const& salon : salons) {
        if (auto it = states.find(salon); it != states.end() && it->second.registered) {
            out.emplace_back(salon, codec::encode_state(it->second));
        }
    }
    return out;
}

std::expected<std::optional<salon_state>, error> current_state(store::rocks_store const& db, salon_id const& id,
                                                               std::int32_t partitions) {
    auto const p = partition_id{log::partition_for(id.value(), partitions)};
    // The order of these two reads is load-bearing: s/<p> first, then the state. They are two reads, not one
    // snapshot, and a sweep may end in between, moving s/<p> on past events whose states it wrote. At every moment a
    // stored state holds every event below its partition's s/<p> as it stands, and s/<p> only moves forward, so the
    // state read after the offset holds every event below that offset: folding from it, skipping by seq what the
    // state holds, misses nothing. Read the other way round, an old state could meet an offset moved past events it
    // lacks, and the fold would skip them (a seq gap, or a read behind what was acknowledged); checkpoint_test's
    // "reads beside two workers" catches that order.
    auto from = read_states_offset(db, p);
    if (!from) {
        return std::unexpected(std::move(from.error()));
    }
    auto stored = read_state(db, id);
    if (!stored) {
        return std::unexpected(std::move(stored.error()));
    }
    auto state = std::move(*stored);
    auto const marker = fmt::format(R"("salonId":"{}")", id.value()); // ids need no escaping
    auto folded = each_event(
        db, p, *from, [&](std::string_view value) { return value.find(marker) != std::string_view::npos; },
        [&](event const& e) -> std::expected<void, error> {
            if (e.salon != id) {
                return {};
            }
            if (!state) {
                state.emplace().id = id;
            }
            auto done = fold_event(*state, e);
            if (!done) {
                return std::unexpected(std::move(done.error()));
            }
            return {};
        });
    if (!folded) {
        return std::unexpected(std::move(folded.error()));
    }
    return state;
}

std::expected<std::uint64_t, error> recover_states(store::rocks_store& db, std::vector<std::int64_t> const& ends,
                                                   state_cache& cache) {
    std::uint64_t folded = 0;
    bool moved = false;
    std::set<std::string> changed;
    for (std::size_t i = 0; i < ends.size(); ++i) {
        auto const p = partition_id{static_cast<std::int32_t>(i)};
        auto from = read_states_offset(db, p);
        if (!from) {
            return std::unexpected(std::move(from.error()));
        }
        if (*from > ends[i]) {
            return std::unexpected(error{errc::corrupt_record,
                                         fmt::format("partition {}: states offset {} is past the events log's end {}",
                                                     p.value(), *from, ends[i])});
        }
        moved = moved || *from != ends[i];
        auto read = each_event(
            db, p, *from, [](std::string_view) { return true; },
            [&](event const& e) -> std::expected<void, error> {
                auto done = fold_into(db, cache, e);
                if (!done) {
                    return std::unexpected(std::move(done.error()));
                }
                if (*done) {
                    ++folded;
                    changed.insert(e.salon.value());
                }
                return {};
            });
        if (!read) {
            return std::unexpected(std::move(read.error()));
        }
    }
    if (!moved) {
        return folded;
    }
    auto wb = db.make_batch();
    for (auto const& [salon, state] : encoded_states(cache, {changed.begin(), changed.end()})) {
        wb.put(store::family::state, salon, state);
    }
    for (std::size_t i = 0; i < ends.size(); ++i) {
        put_states_offset(wb, partition_id{static_cast<std::int32_t>(i)}, ends[i]);
    }
    if (auto written = db.write(wb, true); !written) {
        return std::unexpected(store_error(written.error()));
    }
    return folded;
}

} // namespace salonq::engine::runtime
