#include "engine/runtime/consumer_offsets.hpp"

#include "engine/codec/event_codec.hpp"
#include "engine/codec/invalid_codec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace salonq::engine::runtime {
namespace {

std::string offset_key(partition_id p) {
    auto const v = static_cast<std::uint32_t>(p.value());
    return std::string{'o', static_cast<char>(v >> 24U), static_cast<char>(v >> 16U), static_cast<char>(v >> 8U),
                       static_cast<char>(v)};
}

} // namespace

std::expected<consumer_offsets, store::error> consumer_offsets::load(store::rocks_store const& db, store::family f,
                                                                     std::int32_t partition_count) {
    std::vector<std::int64_t> next(static_cast<std::size_t>(partition_count), 0);
    for (std::int32_t p = 0; p < partition_count; ++p) {
        auto v = db.get(f, offset_key(partition_id{p}));
        if (!v) {
            return std::unexpected(v.error());
        }
        std::optional<std::string> const& stored = *v;
        if (!stored) {
            continue;
        }
        auto& n = next[static_cast<std::size_t>(p)];
        auto const [end, ec] = std::from_chars(stored->data(), stored->data() + stored->size(), n);
        if (ec != std::errc{} || end != stored->data() + stored->size() || n < 0) {
            return std::unexpected(store::error{store::errc::corruption, "the stored offset of partition " +
                                                                             std::to_string(p) + " is " + *stored});
        }
    }
    return consumer_offsets{f, std::move(next)};
}

void consumer_offsets::put(store::write_batch& batch, partition_id p, offset_t next) const {
    batch.put(family_, offset_key(p), std::to_string(next.value()));
}

void consumer_offsets::put_all(store::write_batch& batch) const {
    for (std::int32_t p = 0; p < partition_count(); ++p) {
        put(batch, partition_id{p}, next(partition_id{p}));
    }
}

std::expected<decoded_run, log::error> read_decoded(log::reader& events, partition_id p, offset_t from, offset_t to,
                                                    std::size_t max, undecodable const& bad) {
    if (auto* tail = dynamic_cast<decoded_reader*>(&events)) {
        if (auto held = tail->decoded(p, from, to, max)) {
            return std::move(*held);
        }
    }
    auto records = log::read_before(events, p, from, to, max);
    if (!records) {
        return std::unexpected(records.error());
    }
    decoded_run run{p, {}, records->empty() ? from : offset_t{records->back().offset.value() + 1}};
    run.entries.reserve(records->size());
    for (auto const& r : *records) {
        auto entry = codec::decode_entry(r.value);
        if (entry) {
            run.entries.emplace_back(r.offset, std::move(*entry));
        } else if (bad && !codec::decode_command_invalid(r.value)) {
            bad(p, r.offset, entry.error().message);
        }
    }
    return run;
}

std::expected<decoded_run, std::string> handed_over(consumer_offsets const& offsets, partition_id p, offset_t first,
                                                    std::span<log_entry const> entries) {
    if (first.value() > offsets.next(p).value()) {
        return std::unexpected(fmt::format("partition {}: offset {} is ahead of {}, read the log from there", p.value(),
                                           first.value(), offsets.next(p).value()));
    }
    decoded_run run{p, {}, offset_t{first.value() + static_cast<std::int64_t>(entries.size())}};
    run.entries.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        run.entries.emplace_back(offset_t{first.value() + static_cast<std::int64_t>(i)}, entries[i]);
    }
    return run;
}

std::expected<bool, std::string> catch_up(log::reader& events, std::int32_t partition_count,
                                          std::function<offset_t(partition_id)> const& next, std::size_t max,
                                          undecodable const& bad, run_folder const& fold) {
    std::vector<offset_t> const ends(static_cast<std::size_t>(partition_count),
                                     offset_t{std::numeric_limits<std::int64_t>::max()});
    return catch_up_until(events, ends, next, max, bad, fold, {});
}

std::expected<bool, std::string> catch_up_until(log::reader& events, std::span<offset_t const> until,
                                                std::function<offset_t(partition_id)> const& next, std::size_t max,
                                                undecodable const& bad, run_folder const& fold,
                                                fold_progress const& progress) {
    bool any = false;
    for (std::size_t n = 0; n < until.size(); ++n) {
        auto const p = partition_id{static_cast<std::int32_t>(n)};
        for (auto from = next(p); from.value() < until[n].value(); from = next(p)) {
            auto const want = std::min(max, static_cast<std::size_t>(until[n].value() - from.value()));
            auto run = read_decoded(events, p, from, until[n], want, bad);
            if (!run) {
                return std::unexpected("reading the events log: " + run.error().message);
            }
            if (run->end == from) {
                break;
            }
            if (auto folded = fold(*run); !folded) {
                return std::unexpected(folded.error());
            }
            any = true;
            if (progress && !progress(static_cast<std::size_t>(run->end.value() - from.value()))) {
                return std::unexpected("the fold was stopped");
            }
        }
    }
    return any;
}

} // namespace salonq::engine::runtime
