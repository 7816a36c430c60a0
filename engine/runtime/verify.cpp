#include "engine/runtime/verify.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/log/keys.hpp"
#include "engine/runtime/embedded_engine.hpp"
#include "engine/runtime/state_checkpoint.hpp"

#include <fmt/format.h>

#include <map>
#include <unordered_map>
#include <unordered_set>

namespace salonq::engine::runtime {
namespace {

constexpr std::size_t max_problems = 50;

// One run of verify: the salons folded from the events log so far, the commands seen and the outcomes found, and
// the problems (the first max_problems). Each step reads one family of the store; a failed read ends the run.
class checker {
public:
    explicit checker(store::rocks_store const& db) : db_(db) {}

    // The commands log of partition p: gapless offsets, each command decodes. Returns the log's end offset.
    [[nodiscard]] std::expected<std::int64_t, error> scan_commands(std::int32_t p) {
        std::int64_t end = 0;
        auto scanned =
            db_.scan(store::family::commands, log::partition_prefix(partition_id{p}),
                     log::partition_prefix(partition_id{p + 1}), [&](std::string_view key, std::string_view value) {
                         see_command(p, log::key_offset(key).value(), value, end);
                         return true;
                     });
        if (!scanned) {
            return std::unexpected(error{errc::local_store, scanned.error().message});
        }
        return end;
    }

    // The events log of partition p: gapless offsets, each entry decodes, one outcome per command, each salon's
    // seq gapless, every event folded into its salon. Returns the log's end offset.
    [[nodiscard]] std::expected<std::int64_t, error> scan_events(std::int32_t p) {
        std::int64_t end = 0;
        std::string last_outcome_key;
        auto scanned =
            db_.scan(store::family::events, log::partition_prefix(partition_id{p}),
                     log::partition_prefix(partition_id{p + 1}), [&](std::string_view key, std::string_view value) {
                         see_entry(p, log::key_offset(key).value(), value, end, last_outcome_key);
                         return true;
                     });
        if (!scanned) {
            return std::unexpected(error{errc::local_store, scanned.error().message});
        }
        return end;
    }

    // Partition p's offsets in meta against where its logs end.
    [[nodiscard]] std::expected<void, error> compare_meta(std::int32_t p, std::int64_t commands_end,
                                                          std::int64_t events_end) {
        auto meta = db_.get(store::family::meta, meta_partition_key(partition_id{p}));
        if (!meta) {
            return std::unexpected(error{errc::local_store, meta.error().message});
        }
        std::int64_t meta_commands = 0;
        std::int64_t meta_events = 0;
        if (auto const& value = *meta) {
            meta_commands = static_cast<std::int64_t>(log::get_u64(*value));
            meta_events = static_cast<std::int64_t>(log::get_u64(std::string_view{*value}.substr(8)));
        }
        if (meta_commands != commands_end || meta_events != events_end) {
            problem(fmt::format("partition {}: meta offsets ({}, {}) but logs end at ({}, {})", p, meta_commands,
                                meta_events, commands_end, events_end));
        }
        if (auto const states = states_offsets_[static_cast<std::size_t>(p)]; states > events_end) {
            problem(
                fmt::format("partition {}: states offset {} is past the events log's end {}", p, states, events_end));
        }
        return {};
    }

    // The stored states and each partition's states offset, read before the events are folded: each stored state
    // is compared with the fold of its salon's events when that reaches the state's seq.
    [[nodiscard]] std::expected<void, error> load_states(std::int32_t partitions) {
        for (std::int32_t p = 0; p < partitions; ++p) {
            auto offset = read_states_offset(db_, partition_id{p});
            if (!offset) {
                return std::unexpected(offset.error());
            }
            states_offsets_.push_back(*offset);
        }
        auto scanned = db_.scan(store::family::state, "", "", [&](std::string_view key, std::string_view value) {
            auto decoded = codec::decode_state(value);
            if (!decoded) {
                problem(fmt::format("salon {}: stored state does not decode: {}", key, decoded.error().message));
                return true;
            }
            stored_.emplace(std::string{key}, stored_state{std::move(*decoded), false});
            return true;
        });
        if (!scanned) {
            return std::unexpected(error{errc::local_store, scanned.error().message});
        }
        return {};
    }

    // Every command appended once and answered once, over all partitions.
    void compare_outcomes() {
        for (auto const& [key, n] : command_count_) {
            if (!answered_.contains(key)) {
                problem(fmt::format("a command ({}) has no outcome", key.substr(key.find('\0') + 1)));
            }
            if (n > 1) {
                problem(fmt::format("a command ({}) was appended {} times", key.substr(key.find('\0') + 1), n));
            }
        }
        if (answered_.size() != command_count_.size()) {
            problem(fmt::format("{} outcomes for {} commands", answered_.size(), command_count_.size()));
        }
    }

    // Every stored state equals the fold of its salon's events up to its seq (checked as they were folded), and has
    // events to be compared with.
    void compare_states() {
        for (auto const& [salon, stored] : stored_) {
            if (stored.compared) {
                continue;
            }
            if (!folded_.contains(salon)) {
                problem(fmt::format("salon {}: a stored state but no events", salon));
            } else {
                problem(fmt::format("salon {}: stored state (seq {}) is ahead of its events (seq {})", salon,
                                    stored.state.seq.value(), folded_.at(salon).seq.value()));
            }
        }
    }

    [[nodiscard]] verify_report finish() {
        report_.salons = folded_.size();
        return std::move(report_);
    }

private:
    void problem(std::string text) {
        if (report_.problems.size() < max_problems) {
            report_.problems.push_back(std::move(text));
        }
    }

    // The command at `offset` of partition p's commands log; `end` is where the log ended before it.
    void see_command(std::int32_t p, std::int64_t offset, std::string_view value, std::int64_t& end) {
        ++report_.commands;
        if (offset != end) {
            problem(fmt::format("commands partition {}: offset {} follows {}", p, offset, end - 1));
        }
        end = offset + 1;
        auto c = codec::decode_command(value, codec::command_source::log);
        if (!c) {
            problem(fmt::format("commands partition {} offset {}: {}", p, offset, c.error().message));
            return;
        }
        ++command_count_[log::dedupe_key(c->salon, c->id)];
    }

    // The entry at `offset` of partition p's events log; `end` is where the log ended before it, and
    // `last_outcome_key` the command the previous entry answered.
    void see_entry(std::int32_t p, std::int64_t offset, std::string_view value, std::int64_t& end,
                   std::string& last_outcome_key) {
        ++report_.entries;
        if (offset != end) {
            problem(fmt::format("events partition {}: offset {} follows {}", p, offset, end - 1));
        }
        end = offset + 1;
        auto entry = codec::decode_entry(value);
        if (!entry) {
            problem(fmt::format("events partition {} offset {}: {}", p, offset, entry.error().message));
            return;
        }
        if (auto* r = std::get_if<rejected_command>(&*entry)) {
            ++report_.rejections;
            auto k = log::dedupe_key(r->salon, r->cause);
            if (!answered_.insert(k).second) {
                problem(fmt::format("command {} of salon {} has more than one outcome", r->cause.value(),
                                    r->salon.value()));
            }
            last_outcome_key = std::move(k);
            return;
        }
        auto const& e = std::get<event>(*entry);
        ++report_.events;
        auto k = log::dedupe_key(e.salon, e.cause);
        // A command's events are consecutive; a second run of them would be a duplicate effect.
        if (k != last_outcome_key && !answered_.insert(k).second) {
            problem(fmt::format("command {} of salon {} has more than one outcome", e.cause.value(), e.salon.value()));
        }
        last_outcome_key = std::move(k);
        auto [it, inserted] = folded_.try_emplace(e.salon.value());
        if (inserted) {
            it->second.id = e.salon;
        }
        if (e.seq.value() != it->second.seq.value() + 1) {
            problem(fmt::format("salon {}: seq {} follows {}", e.salon.value(), e.seq.value(), it->second.seq.value()));
        }
        evolve(it->second, e);
        compare_state(p, offset, it->second);
    }

    // The salon's stored state against its fold at `offset` of partition p: equal once the fold reaches the state's
    // seq, and not older than an event below the partition's states offset (every such event is in the states).
    void compare_state(std::int32_t p, std::int64_t offset, salon_state const& folded) {
        auto const& salon = folded.id.value();
        auto it = stored_.find(salon);
        if (it == stored_.end()) {
            if (offset < states_offsets_[static_cast<std::size_t>(p)] && missing_.insert(salon).second) {
                problem(fmt::format("salon {}: no stored state, but events below the states offset", salon));
            }
            return;
        }
        auto& stored = it->second;
        if (stored.state.seq == folded.seq) {
            stored.compared = true;
            if (!(stored.state == folded)) {
                problem(fmt::format("salon {}: stored state differs from the fold of its events", salon));
            }
        } else if (stored.state.seq.value() < folded.seq.value() &&
                   offset < states_offsets_[static_cast<std::size_t>(p)] && missing_.insert(salon).second) {
            problem(fmt::format("salon {}: stored state (seq {}) misses events below the states offset", salon,
                                stored.state.seq.value()));
        }
    }

    struct stored_state {
        salon_state state;
        bool compared = false; // the fold reached its seq
    };

    store::rocks_store const& db_;
    verify_report report_;
    std::vector<std::int64_t> states_offsets_;   // per partition
    std::map<std::string, stored_state> stored_; // decoded stored states
    std::unordered_set<std::string> missing_;    // salons reported behind the states offset
    std::map<std::string, salon_state> folded_;
    std::unordered_set<std::string> answered_; // dedupe keys with an outcome
    std::unordered_map<std::string, std::uint64_t> command_count_;
};

} // namespace

std::expected<verify_report, error> verify(store::rocks_store const& db, std::int32_t partitions) {
    checker check{db};
    if (auto states = check.load_states(partitions); !states) {
        return std::unexpected(states.error());
    }
    for (std::int32_t p = 0; p < partitions; ++p) {
        auto const commands_end = check.scan_commands(p);
        if (!commands_end) {
            return std::unexpected(commands_end.error());
        }
        auto const events_end = check.scan_events(p);
        if (!events_end) {
            return std::unexpected(events_end.error());
        }
        if (auto meta = check.compare_meta(p, *commands_end, *events_end); !meta) {
            return std::unexpected(meta.error());
        }
    }
    check.compare_outcomes();
    check.compare_states();
    return check.finish();
}

} // namespace salonq::engine::runtime
