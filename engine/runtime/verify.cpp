#include "engine/runtime/verify.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/log/keys.hpp"
#include "engine/runtime/embedded_engine.hpp"

#include <fmt/format.h>

#include <map>
#include <unordered_map>
#include <unordered_set>

namespace salonq::engine::runtime {
namespace {

constexpr std::size_t max_problems = 50;

struct checker {
    verify_report report;
    void problem(std::string text) {
        if (report.problems.size() < max_problems) {
            report.problems.push_back(std::move(text));
        }
    }
};

} // namespace

std::expected<verify_report, error> verify(store::rocks_store const& db, std::int32_t partitions) {
    checker check;
    std::map<std::string, salon_state> folded;
    std::unordered_set<std::string> answered; // dedupe keys with an outcome
    std::unordered_map<std::string, std::uint64_t> command_count;

    for (std::int32_t p = 0; p < partitions; ++p) {
        auto const part = partition_id{p};
        auto const from = log::partition_prefix(part);
        auto const to = log::partition_prefix(partition_id{p + 1});
        std::int64_t expected_offset = 0;
        std::string last_outcome_key;

        auto scanned = db.scan(store::family::commands, from, to, [&](std::string_view key, std::string_view value) {
            ++check.report.commands;
            if (log::key_offset(key).value() != expected_offset) {
                check.problem(fmt::format("commands partition {}: offset {} follows {}", p,
                                          log::key_offset(key).value(), expected_offset - 1));
            }
            expected_offset = log::key_offset(key).value() + 1;
            auto c = codec::decode_command(value, codec::command_source::log);
            if (!c) {
                check.problem(fmt::format("commands partition {} offset {}: {}", p, log::key_offset(key).value(),
                                          c.error().message));
                return true;
            }
            ++command_count[log::dedupe_key(c->salon, c->id)];
            return true;
        });
        if (!scanned) {
            return std::unexpected(error{errc::local_store, scanned.error().message});
        }
        auto const commands_end = expected_offset;

        expected_offset = 0;
        scanned = db.scan(store::family::events, from, to, [&](std::string_view key, std::string_view value) {
            ++check.report.entries;
            auto const offset = log::key_offset(key).value();
            if (offset != expected_offset) {
                check.problem(fmt::format("events partition {}: offset {} follows {}", p, offset, expected_offset - 1));
            }
            expected_offset = offset + 1;
            auto entry = codec::decode_entry(value);
            if (!entry) {
                check.problem(fmt::format("events partition {} offset {}: {}", p, offset, entry.error().message));
                return true;
            }
            if (auto* r = std::get_if<rejected_command>(&*entry)) {
                ++check.report.rejections;
                auto k = log::dedupe_key(r->salon, r->cause);
                if (!answered.insert(k).second) {
                    check.problem(fmt::format("command {} of salon {} has more than one outcome", r->cause.value(),
                                              r->salon.value()));
                }
                last_outcome_key = std::move(k);
                return true;
            }
            auto const& e = std::get<event>(*entry);
            ++check.report.events;
            auto k = log::dedupe_key(e.salon, e.cause);
            // A command's events are consecutive; a second run of them would be a duplicate effect.
            if (k != last_outcome_key && !answered.insert(k).second) {
                check.problem(
                    fmt::format("command {} of salon {} has more than one outcome", e.cause.value(), e.salon.value()));
            }
            last_outcome_key = std::move(k);
            auto [it, inserted] = folded.try_emplace(e.salon.value());
            if (inserted) {
                it->second.id = e.salon;
            }
            if (e.seq.value() != it->second.seq.value() + 1) {
                check.problem(
                    fmt::format("salon {}: seq {} follows {}", e.salon.value(), e.seq.value(), it->second.seq.value()));
            }
            evolve(it->second, e);
            return true;
        });
        if (!scanned) {
            return std::unexpected(error{errc::local_store, scanned.error().message});
        }

        auto meta = db.get(store::family::meta, meta_partition_key(part));
        if (!meta) {
            return std::unexpected(error{errc::local_store, meta.error().message});
        }
        std::int64_t meta_commands = 0;
        std::int64_t meta_events = 0;
        if (auto const& value = *meta) {
            meta_commands = static_cast<std::int64_t>(log::get_u64(*value));
            meta_events = static_cast<std::int64_t>(log::get_u64(std::string_view{*value}.substr(8)));
        }
        if (meta_commands != commands_end || meta_events != expected_offset) {
            check.problem(fmt::format("partition {}: meta offsets ({}, {}) but logs end at ({}, {})", p, meta_commands,
                                      meta_events, commands_end, expected_offset));
        }
    }

    for (auto const& [key, n] : command_count) {
        if (!answered.contains(key)) {
            check.problem(fmt::format("a command ({}) has no outcome", key.substr(key.find('\0') + 1)));
        }
        if (n > 1) {
            check.problem(fmt::format("a command ({}) was appended {} times", key.substr(key.find('\0') + 1), n));
        }
    }
    if (answered.size() != command_count.size()) {
        check.problem(fmt::format("{} outcomes for {} commands", answered.size(), command_count.size()));
    }

    std::uint64_t stored_salons = 0;
    auto scanned = db.scan(store::family::state, "", "", [&](std::string_view key, std::string_view value) {
        ++stored_salons;
        auto stored = codec::decode_state(value);
        auto it = folded.find(std::string{key});
        if (!stored) {
            check.problem(fmt::format("salon {}: stored state does not decode: {}", key, stored.error().message));
        } else if (it == folded.end()) {
            check.problem(fmt::format("salon {}: a stored state but no events", key));
        } else if (!(*stored == it->second)) {
            check.problem(fmt::format("salon {}: stored state differs from the fold of its events", key));
        }
        return true;
    });
    if (!scanned) {
        return std::unexpected(error{errc::local_store, scanned.error().message});
    }
    if (stored_salons != folded.size()) {
        check.problem(fmt::format("{} stored states but {} salons in the events log", stored_salons, folded.size()));
    }
    check.report.salons = folded.size();
    return check.report;
}

} // namespace salonq::engine::runtime
