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

namespace {

// One run of verify: the commands topic, then the events topic (folding every salon), then the checks that
// compare them, then the workers' stored states against the fold.
class verification {
public:
    verification(kafka::settings const& s, std::int32_t partitions) : settings_(s), partitions_(partitions) {}

    // The distinct (salon, commandId) pairs, and how many messages are never decided (command_invalid).
    [[nodiscard]] std::expected<std::uint64_t, error> read_commands() {
        return read_topic(settings_, commands_topic, partitions_, [&](topic_message const& m) {
            ++report_.commands;
            auto c = detail::admit_command(m.key, m.value, m.partition, partitions_);
            if (!c) {
                ++undecidable_;
                return;
            }
            commands_.insert(log::dedupe_key(c->salon, c->id));
        });
    }

    // Every outcome counted by command, every salon folded, seqs checked to be gapless.
    [[nodiscard]] std::expected<std::uint64_t, error> read_events() {
        return read_topic(settings_, events_topic, partitions_, [&](topic_message const& m) { event_record(m); });
    }

    // Each command has one outcome, each outcome a command, each undecided message a command_invalid.
    void match_outcomes() {
        for (auto const& key : commands_) {
            if (!outcomes_.contains(key)) {
                problem(fmt::format("command {} has no outcome", log::split_dedupe_key(key).command));
            }
        }
        for (auto const& [key, n] : outcomes_) {
            if (!commands_.contains(key)) {
                problem(fmt::format("an outcome for command {} that is not in the commands topic",
                                    log::split_dedupe_key(key).command));
            }
        }
        if (invalid_records_ != undecidable_) {
            problem(fmt::format("{} command messages do not decode but {} command_invalid records", undecidable_,
                                invalid_records_));
        }
    }

    // A worker's stored states are the fold of their salons' committed events (or behind it, never ahead).
    [[nodiscard]] std::expected<void, error> compare_worker(std::filesystem::path const& dir) {
        auto db = store::rocks_store::open(dir, store::open_options{false, true, std::chrono::hours{24 * 7}});
        if (!db) {
            return std::unexpected(error{errc::local_store, db.error().message});
        }
        auto scanned = (*db)->scan(store::family::state, "", "", [&](std::string_view key, std::string_view value) {
            compare_state(dir, key, value);
            return true;
        });
        if (!scanned) {
            return std::unexpected(error{errc::local_store, scanned.error().message});
        }
        return {};
    }

    [[nodiscard]] runtime::verify_report finish() {
        report_.salons = folded_.size();
        return std::move(report_);
    }

private:
    void problem(std::string text) {
        if (report_.problems.size() < 50) {
            report_.problems.push_back(std::move(text));
        }
    }

    void event_record(topic_message const& m) {
        ++report_.entries;
        auto entry = codec::decode_entry(m.value);
        if (!entry) {
            if (codec::decode_command_invalid(m.value)) {
                ++invalid_records_;
            } else {
                problem(fmt::format("events[{}] offset {} does not decode: {}", m.partition, m.offset,
                                    entry.error().message));
            }
            return;
        }
        auto const [salon, cause] = std::visit([](auto const& e) { return std::pair{e.salon, e.cause}; }, *entry);
        if (log::partition_for(salon.value(), partitions_) != m.partition) {
            problem(fmt::format("salon {}: an outcome on partition {}", salon.value(), m.partition));
        }
        if (auto const n = ++outcomes_[log::dedupe_key(salon, cause)]; n > 1) {
            problem(fmt::format("command {} of salon {} has {} outcomes", cause.value(), salon.value(), n));
        }
        if (std::holds_alternative<rejected_command>(*entry)) {
            ++report_.rejections;
            return;
        }
        fold(std::get<event>(*entry));
    }

    void fold(event const& e) {
        ++report_.events;
        auto [it, inserted] = folded_.try_emplace(e.salon.value());
        if (inserted) {
            it->second.id = e.salon;
        }
        if (e.seq.value() != it->second.seq.value() + 1) {
            problem(fmt::format("salon {}: seq {} follows {}", e.salon.value(), e.seq.value(), it->second.seq.value()));
        }
        evolve(it->second, e);
    }

    void compare_state(std::filesystem::path const& dir, std::string_view key, std::string_view value) {
        auto stored = codec::decode_state(value);
        auto it = folded_.find(std::string{key});
        if (!stored || it == folded_.end()) {
            problem(fmt::format("{}: salon {} has a stored state but no events", dir.string(), key));
        } else if (stored->seq == it->second.seq && !(*stored == it->second)) {
            problem(fmt::format("{}: salon {} differs from the fold of its events", dir.string(), key));
        } else if (stored->seq.value() > it->second.seq.value()) {
            problem(fmt::format("{}: salon {} is ahead of its committed events", dir.string(), key));
        }
    }

    kafka::settings const& settings_;
    std::int32_t partitions_;
    runtime::verify_report report_;
    std::unordered_set<std::string> commands_;
    std::uint64_t undecidable_ = 0;
    std::map<std::string, salon_state> folded_;
    std::unordered_map<std::string, std::uint64_t> outcomes_;
    std::uint64_t invalid_records_ = 0;
};

} // namespace

std::expected<runtime::verify_report, error> verify(kafka::settings const& s,
                                                    std::vector<std::filesystem::path> const& worker_dirs) {
    auto layout = describe_topics(s);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    auto partitions = check_layout(*layout);
    if (!partitions) {
        return std::unexpected(partitions.error());
    }
    verification v{s, *partitions};
    if (auto read = v.read_commands(); !read) {
        return std::unexpected(read.error());
    }
    if (auto read = v.read_events(); !read) {
        return std::unexpected(read.error());
    }
    v.match_outcomes();
    for (auto const& dir : worker_dirs) {
        if (auto compared = v.compare_worker(dir); !compared) {
            return std::unexpected(compared.error());
        }
    }
    return v.finish();
}

} // namespace salonq::engine::kafka
