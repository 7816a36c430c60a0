#include "engine/kafka/detail/snapshot.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/codec/snapshot_codec.hpp"
#include "engine/kafka/detail/client.hpp"
#include "engine/log/keys.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace salonq::engine::kafka::detail {

using namespace kafka::detail;
namespace lk = kafka;

// A snapshot is a state and about 80 bytes of envelope; the producers and the topic take records this large.
static_assert(lk::max_record_bytes >= codec::limits::record + 1024);

instant dedupe_chunk::newest(instant otherwise) const {
    if (entries.empty()) {
        return otherwise;
    }
    instant t{};
    for (auto const& [key, e] : entries) {
        t = std::max(t, e.received_at);
    }
    return t;
}

std::string dedupe_chunk_key(std::int64_t to, instant newest) {
    return fmt::format("~dedupe/{}/{}", to, to_unix_ms(newest));
}

bool is_dedupe_chunk_key(std::string_view key) { return key.starts_with("~dedupe/"); }

std::optional<instant> chunk_key_newest(std::string_view key) {
    if (!is_dedupe_chunk_key(key)) {
        return std::nullopt;
    }
    auto const slash = key.rfind('/');
    std::int64_t ms = 0;
    auto const [ptr, ec] = std::from_chars(key.data() + slash + 1, key.data() + key.size(), ms);
    if (slash < 8 || ec != std::errc{} || ptr != key.data() + key.size()) {
        return std::nullopt;
    }
    return from_unix_ms(ms);
}

std::string encode_chunk_refs(std::vector<chunk_ref> const& refs) {
    std::string out;
    for (auto const& r : refs) {
        out.append(r.key).push_back('\n');
    }
    return out;
}

std::vector<chunk_ref> decode_chunk_refs(std::string_view text) {
    std::vector<chunk_ref> out;
    while (!text.empty()) {
        auto const end = std::min(text.find('\n'), text.size());
        auto const key = text.substr(0, end);
        if (auto newest = chunk_key_newest(key)) {
            out.push_back(chunk_ref{std::string{key}, *newest});
        }
        text.remove_prefix(std::min(end + 1, text.size()));
    }
    return out;
}

std::string encode_dedupe_chunk(dedupe_chunk const& c) {
    codec::dedupe_chunk_record r{c.from, c.to, {}};
    r.entries.reserve(c.entries.size());
    for (auto const& [key, e] : c.entries) {
        auto const [salon, command] = log::split_dedupe_key(key);
        r.entries.push_back({salon_id{std::string{salon}}, command_id{std::string{command}}, e.received_at,
                             e.first_offset.value(), e.count});
    }
    return codec::encode_dedupe_chunk(r);
}

std::optional<dedupe_chunk> parse_dedupe_chunk(std::string_view record, std::int32_t partition) {
    auto r = codec::decode_dedupe_chunk(record);
    if (!r) {
        return std::nullopt;
    }
    dedupe_chunk c{r->from, r->to, {}};
    c.entries.reserve(r->entries.size());
    for (auto& e : r->entries) {
        c.entries.emplace_back(log::dedupe_key(e.salon, e.command),
                               dedupe_entry{e.received_at, partition_id{partition}, offset_t{e.offset}, e.count});
    }
    return c;
}

std::vector<dedupe_chunk> split_dedupe_chunk(dedupe_chunk const& c, std::size_t max_entries) {
    std::vector<dedupe_chunk> out;
    max_entries = std::max<std::size_t>(1, max_entries);
    for (std::size_t i = 0; i < c.entries.size() || out.empty(); i += max_entries) {
        auto const last = std::min(c.entries.size(), i + max_entries);
        dedupe_chunk part{out.empty() ? c.from : out.back().to, c.to, {}};
        part.entries.assign(c.entries.begin() + static_cast<std::ptrdiff_t>(std::min(i, c.entries.size())),
                            c.entries.begin() + static_cast<std::ptrdiff_t>(last));
        if (last < c.entries.size()) {
            part.to = c.entries[last].second.first_offset.value(); // the next part starts at its first outcome
        }
        out.push_back(std::move(part));
        if (last >= c.entries.size()) {
            break;
        }
    }
    return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>> uncovered(std::int64_t from, std::int64_t to,
                                                             std::vector<dedupe_chunk> const& chunks) {
    std::vector<std::pair<std::int64_t, std::int64_t>> covered;
    for (auto const& c : chunks) {
        if (c.from < c.to) {
            covered.emplace_back(c.from, c.to);
        }
    }
    std::sort(covered.begin(), covered.end());
    std::vector<std::pair<std::int64_t, std::int64_t>> gaps;
    auto at = from;
    for (auto const& [a, b] : covered) {
        if (at >= to) {
            break;
        }
        if (a > at) {
            gaps.emplace_back(at, std::min(a, to));
        }
        at = std::max(at, b);
    }
    if (at < to) {
        gaps.emplace_back(at, to);
    }
    return gaps;
}

std::map<std::string, std::string> recovery_reader_properties(std::string const& group) {
    return {{"group.id", group + "-recovery"}, {"isolation.level", "read_committed"}, {"enable.auto.commit", "false"},
            {"enable.partition.eof", "true"},  {"auto.offset.reset", "earliest"},     {"fetch.wait.max.ms", "10"},
            {"fetch.error.backoff.ms", "20"}};
}

namespace {

// Only the latest record of each salon is decoded: the topic's older ones are superseded (until compaction removes
// them). One that does not decode stops the restore rather than fall back to an older state silently.
[[nodiscard]] std::expected<void, error> decode_latest(std::map<std::string, std::string> const& raw, std::int32_t p,
                                                       std::map<std::string, salon_snapshot>& out) {
    for (auto const& [salon, record] : raw) {
        auto snap = codec::decode_salon_snapshot(record);
        if (!snap || snap->state.id.value() != salon) {
            return std::unexpected(
                error{errc::corrupt_record, fmt::format("the snapshot of {} in {}[{}] does not decode: {} {}", salon,
                                                        lk::snapshots_topic, p, snap ? "state of" : snap.error().path,
                                                        snap ? snap->state.id.value() : snap.error().message)});
        }
        out.insert_or_assign(salon, salon_snapshot{snap->events_offset, std::move(snap->state)});
    }
    return {};
}

} // namespace

std::expected<partition_snapshots, error> read_latest_snapshots(lk::settings const& kafka, std::string const& group,
                                                                std::int32_t p, instant oldest,
                                                                std::atomic<bool> const* stopping) {
    auto reader = lk::make_client(kafka, RD_KAFKA_CONSUMER, recovery_reader_properties(group));
    if (!reader) {
        // The worker's own clients were built from the same settings: a client that fails now (threads, files)
        // is a passing shortage, retried with the take-over.
        return std::unexpected(error{errc::retryable, reader.error().message});
    }
    partition_list_ptr list{rd_kafka_topic_partition_list_new(1)};
    // Offset 0 rather than OFFSET_BEGINNING (which costs a fetch back-off here); a compacted-away start resets to
    // the earliest offset.
    rd_kafka_topic_partition_list_add(list.get(), lk::snapshots_topic, p)->offset = 0;
    if (auto err = rd_kafka_assign(reader->get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return std::unexpected(error{errc::retryable, fmt::format("snapshot reader: {}", rd_kafka_err2str(err))});
    }
    partition_snapshots latest;
    std::map<std::string, dedupe_chunk> chunks;    // by key
    std::map<std::string, instant> keys;           // every chunk not removed, expired or not
    std::map<std::string, std::string> raw_salons; // the latest snapshot record of each salon, decoded at the end
    // A round whose commit marker is not in yet is waited for.
    settled_end end{reader->get(), lk::snapshots_topic, p, stopping};
    for (;;) {
        message_ptr m{rd_kafka_consumer_poll(reader->get(), 1000)};
        if (!m || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            auto done = end.done(m.get());
            if (!done) {
                return std::unexpected(done.error());
            }
            if (!*done) {
                continue;
            }
            if (auto decoded = decode_latest(raw_salons, p, latest.salons); !decoded) {
                return std::unexpected(decoded.error());
            }
            for (auto& [key, c] : chunks) {
                latest.chunks.push_back(std::move(c));
            }
            for (auto const& [key, newest] : keys) {
                latest.chunk_keys.push_back(chunk_ref{key, newest});
            }
            std::sort(latest.chunks.begin(), latest.chunks.end(),
                      [](dedupe_chunk const& a, dedupe_chunk const& b) { return a.to < b.to; });
            return latest;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return std::unexpected(error{errc::retryable, fmt::format("reading {}[{}]: {}", lk::snapshots_topic, p,
                                                                      rd_kafka_message_errstr(m.get()))});
        }
        if (m->key == nullptr) {
            continue;
        }
        std::string key{static_cast<char const*>(m->key), m->key_len};
        std::string_view const value{static_cast<char const*>(m->payload), m->payload == nullptr ? 0 : m->len};
        if (auto newest = chunk_key_newest(key)) {
            if (m->payload == nullptr) { // its tombstone: past the retention
                chunks.erase(key);
                keys.erase(key);
                continue;
            }
            keys.insert_or_assign(key, *newest);
            if (*newest < oldest) {
                continue; // every commandId in it is past the retention: not even parsed
            }
            if (auto c = parse_dedupe_chunk(value, p)) {
                chunks.insert_or_assign(std::move(key), std::move(*c));
            } // a chunk that does not parse covers nothing: its events are read back
            continue;
        }
        if (m->payload != nullptr) {
            raw_salons.insert_or_assign(std::move(key), std::string{value});
        }
    }
}

} // namespace salonq::engine::kafka::detail
