#include "projections/store/outcome_index.hpp"

#include "engine/codec/event_codec.hpp"
#include "engine/runtime/dedupe.hpp"

#include <fmt/format.h>

namespace salonq::projections::detail {
namespace {

using namespace salonq::engine;
namespace store = salonq::engine::store;

// The value: the engine's dedupe entry (receive time first, so the store's retention filter drops it after the
// dedupe window, as the engine forgets the commandId), then each entry's JSON (the log's form) ended by a newline.
constexpr std::size_t header_bytes = runtime::dedupe_entry::encoded_size;

salon_id const& salon_of(log_entry const& e) {
    return std::visit([](auto const& x) -> salon_id const& { return x.salon; }, e);
}
command_id const& cause_of(log_entry const& e) {
    return std::visit([](auto const& x) -> command_id const& { return x.cause; }, e);
}

// The header of a value this file wrote (at least header_bytes long).
runtime::dedupe_entry header_of(std::string_view value) {
    return runtime::dedupe_entry::decode(value.substr(0, header_bytes)).value_or(runtime::dedupe_entry{});
}

instant received_at(log_entry const& e) {
    return std::visit([](auto const& x) { return x.at; }, e);
}

[[nodiscard]] std::expected<runtime::outcome, std::string> decode(salon_id const& salon, command_id const& command,
                                                                  std::string_view value) {
    auto const header = runtime::dedupe_entry::decode(value.substr(0, header_bytes));
    if (!header) {
        return std::unexpected(fmt::format("the stored outcome of {} is too short", command.value()));
    }
    runtime::outcome o;
    o.command = command;
    o.salon = salon;
    o.partition = header->partition;
    o.first_offset = header->first_offset;
    for (auto rest = value.substr(header_bytes); !rest.empty();) {
        auto const nl = rest.find('\n');
        auto entry = codec::decode_entry(rest.substr(0, nl));
        if (!entry) {
            return std::unexpected(
                fmt::format("the stored outcome of {} does not decode: {}", command.value(), entry.error().message));
        }
        o.entries.push_back(std::move(*entry));
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    }
    return o;
}

// Whether `first` continues the stored outcome: same decision (every entry of one carries its command's receive
// time), same partition, and an event following the stored last event by seq. A commandId decided again after its
// dedupe window has its own, later, outcome, which replaces the old one, even when its first event follows the old
// one's last (a salon whose last command used that key).
bool continues(std::string_view stored, partition_id p, log_entry const& first) {
    auto const* next = std::get_if<event>(&first);
    if (next == nullptr || header_of(stored).received_at != next->at) {
        return false;
    }
    auto const old = decode(next->salon, next->cause, stored);
    if (!old || old->partition != p || old->entries.empty()) {
        return false;
    }
    auto const* last = std::get_if<event>(&old->entries.back());
    return last != nullptr && last->seq.value() + 1 == next->seq.value();
}

} // namespace

std::string outcome_key(salon_id const& salon, command_id const& command) {
    std::string key{'c'};
    key += salon.value();
    key.push_back('\0'); // never in an id
    key += command.value();
    return key;
}

std::expected<void, store::error> index_outcomes(store::rocks_store const& db, store::write_batch& batch,
                                                 partition_id p, std::span<positioned const> entries) {
    for (std::size_t i = 0; i < entries.size();) {
        auto const& first = *entries[i].entry;
        auto const key = outcome_key(salon_of(first), cause_of(first));
        std::string value;
        std::uint32_t count = 0;
        if (i == 0) {
            auto stored = db.get(store::family::dedupe, key);
            if (!stored) {
                return std::unexpected(stored.error());
            }
            if (auto const& v = *stored; v && continues(*v, p, first)) {
                value = *v; // the same command's earlier entries, from the previous apply
                count = header_of(value).count;
            }
        }
        if (value.empty()) {
            value = runtime::dedupe_entry{received_at(first), p, entries[i].offset, 0}.encode();
        }
        std::size_t j = i;
        for (; j < entries.size() && salon_of(*entries[j].entry) == salon_of(first) &&
               cause_of(*entries[j].entry) == cause_of(first);
             ++j) {
            value += codec::encode_entry(*entries[j].entry);
            value.push_back('\n');
        }
        count += static_cast<std::uint32_t>(j - i);
        auto header = header_of(value);
        header.count = count;
        header.encode_into(value.data());
        batch.put(store::family::dedupe, key, value);
        i = j;
    }
    return {};
}

std::expected<std::optional<runtime::outcome>, std::string> stored_outcome(store::rocks_store const& db,
                                                                           salon_id const& salon,
                                                                           command_id const& command, instant now,
                                                                           std::chrono::hours retention) {
    auto stored = db.get(store::family::dedupe, outcome_key(salon, command));
    if (!stored) {
        return std::unexpected(stored.error().message);
    }
    std::optional<std::string> const& value = *stored;
    if (!value) {
        return std::optional<runtime::outcome>{};
    }
    auto o = decode(salon, command, *value);
    if (!o) {
        return std::unexpected(std::move(o.error()));
    }
    if (now - header_of(*value).received_at > retention) {
        return std::optional<runtime::outcome>{}; // forgotten by the engine: the commandId is new again
    }
    return std::optional<runtime::outcome>{std::move(*o)};
}

} // namespace salonq::projections::detail
