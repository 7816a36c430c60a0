#pragma once

#include "engine/codec/event_codec.hpp"
#include "engine/log/log.hpp"
#include "replay/run/scan.hpp"
#include "replay/select/envelope.hpp"
#include "replay/select/selection.hpp"
#include "replay/write/sink.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace salonq::replay {

// What a scan does with one record, whatever the log: peek if the selection filters, decode if the sink needs it,
// hand it over, count it.
class entry_filter {
public:
    static constexpr std::uint64_t undecodable_named = 5; // named on stderr; the count covers the rest

    entry_filter(selection const& s, sink& out, scan_result& result) : s_(s), out_(out), result_(result) {}

    void take(engine::log::record_view const& r) {
        replayed const item{r.partition.value(), r.offset.value(), r.value};
        if (r.value.starts_with(R"({"type":"command_invalid")")) {
            return; // Kafka mode's answer to a message that was never a command: no salon's entry
        }
        if (s_.filters()) {
            auto const e = envelopes_.peek(r.value);
            if (!e) {
                undecodable(item, "not an entry's JSON");
                return;
            }
            if (!s_.wants(*e)) {
                return;
            }
        }
        if (!out_.needs_entry()) {
            out_.take(item, nullptr);
            ++result_.written;
            return;
        }
        auto entry = engine::codec::decode_entry(r.value);
        if (!entry) {
            undecodable(item, entry.error().message);
            return;
        }
        out_.take(item, &*entry);
        ++result_.written;
    }

private:
    void undecodable(replayed const& r, std::string const& why) {
        if (++result_.undecodable <= undecodable_named) {
            fmt::print(stderr, "replay: skipped the entry at partition {} offset {}: {}\n", r.partition, r.offset, why);
        }
    }

    selection const& s_;
    sink& out_;
    scan_result& result_;
    envelope_reader envelopes_;
};

} // namespace salonq::replay
