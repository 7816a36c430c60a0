#include "engine/kafka/verify.hpp"

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/invalid_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "engine/kafka/admin.hpp"
#include "engine/kafka/detail/admit.hpp"
#include "engine/kafka/topic_reader.hpp"
#include "engine/log/keys.hpp"
#include "engine/log/partitioner.hpp"

#include <fmt/format.h>

#include <map>
#include <unordered_map>
#include <unordered_set>

namespace salonq::engine::kafka {

std::expected<runtime::verify_report, error> verify(kafka::settings const& s,
                                                    std::vector<std::filesystem::path> const& worker_dirs) {
    namespace lk = kafka;
    auto layout = lk::describe_topics(s);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    auto partitions = lk::check_layout(*layout);
    if (!partitions) {
        return std::unexpected(error{errc::misconfigured, partitions.error().message});
    }
    runtime::verify_report report;
    auto problem = [&](std::string text) {
        if (report.problems.size() < 50) {
            report.problems.push_back(std::move(text));
        }
    };

    // Commands: the distinct (salon, commandId) pairs and the messages that do not decode.
    std::unordered_set<std::string> commands;
    std::uint64_t undecodable = 0;
    auto read = lk::read_topic(s, lk::commands_topic, *partitions, [&](lk::topic_message const& m) {
        ++report.commands;
        auto c = detail::admit_command(m.key, m.value, m.partition, *partitions);
        if (!c) {
            ++undecodable;
            return;
        }
        commands.insert(log::dedupe_key(c->salon, c->id));
    });
    if (!read) {
        return std::unexpected(read.error());
    }

    std::map<std::string, salon_state> folded;
    std::unordered_map<std::string, std::uint64_t> outcomes;
    std::uint64_t invalid_records = 0;
    read = lk::read_topic(s, lk::events_topic, *partitions, [&](lk::topic_message const& m) {
        ++report.entries;
        auto entry = codec::decode_entry(m.value);
        if (!entry) {
            if (codec::decode_command_invalid(m.value)) {
                ++invalid_records;
            } else {
                problem(fmt::format("events[{}] offset {} does not decode: {}", m.partition, m.offset,
                                    entry.error().message));
            }
            return;
        }
        auto const [salon, cause] = std::visit([](auto const& e) { return std::pair{e.salon, e.cause}; }, *entry);
        if (log::partition_for(salon.value(), *partitions) != m.partition) {
            problem(fmt::format("salon {}: an outcome on partition {}", salon.value(), m.partition));
        }
        auto const n = ++outcomes[log::dedupe_key(salon, cause)];
        if (n > 1) {
            problem(fmt::format("command {} of salon {} has {} outcomes", cause.value(), salon.value(), n));
        }
        if (std::holds_alternative<rejected_command>(*entry)) {
            ++report.rejections;
            return;
        }
        auto const& e = std::get<event>(*entry);
        ++report.events;
        auto [it, inserted] = folded.try_emplace(salon.value());
        if (inserted) {
            it->second.id = salon;
        }
        if (e.seq.value() != it->second.seq.value() + 1) {
            problem(fmt::format("salon {}: seq {} follows {}", salon.value(), e.seq.value(), it->second.seq.value()));
        }
        evolve(it->second, e);
    });
    if (!read) {
        return std::unexpected(read.error());
    }
    for (auto const& key : commands) {
        if (!outcomes.contains(key)) {
            problem(fmt::format("command {} has no outcome", key.substr(key.find('\0') + 1)));
        }
    }
    for (auto const& [key, n] : outcomes) {
        if (!commands.contains(key)) {
            problem(fmt::format("an outcome for command {} that is not in the commands topic",
                                key.substr(key.find('\0') + 1)));
        }
    }
    if (invalid_records != undecodable) {
        problem(fmt::format("{} command messages do not decode but {} command_invalid records", undecodable,
                            invalid_records));
    }

    for (auto const& dir : worker_dirs) {
        auto db = store::rocks_store::open(dir, store::open_options{false, true, std::chrono::hours{24 * 7}});
        if (!db) {
            return std::unexpected(error{errc::local_store, db.error().message});
        }
        auto scanned = (*db)->scan(store::family::state, "", "", [&](std::string_view key, std::string_view value) {
            auto stored = codec::decode_state(value);
            auto it = folded.find(std::string{key});
            if (!stored || it == folded.end()) {
                problem(fmt::format("{}: salon {} has a stored state but no events", dir.string(), key));
            } else if (stored->seq == it->second.seq && !(*stored == it->second)) {
                problem(fmt::format("{}: salon {} differs from the fold of its events", dir.string(), key));
            } else if (stored->seq.value() > it->second.seq.value()) {
                problem(fmt::format("{}: salon {} is ahead of its committed events", dir.string(), key));
            }
            return true;
        });
        if (!scanned) {
            return std::unexpected(error{errc::local_store, scanned.error().message});
        }
    }
    report.salons = folded.size();
    return report;
}

} // namespace salonq::engine::kafka
