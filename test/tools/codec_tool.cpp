// codec_tool: the codec from the command line, for the schema test (test/schemas/check_schemas.py).
//
//   codec_tool command-client < in.jsonl   decode client commands, print the codec's re-encoding (log form)
//   codec_tool command-log    < in.jsonl   decode log-form commands (with receivedAt), print the re-encoding
//   codec_tool entry          < in.jsonl   decode events log entries (events, command_rejected,
//                                          command_invalid), re-encode
//   codec_tool state|snapshot|chunk < in.jsonl   internal records (a salon's state, a salon_snapshot, a
//                                          dedupe_chunk of salonq.snapshots): decode, re-encode
//   codec_tool sample-events               drive decide + evolve through a day that produces every event type
//                                          and recorded rejections; print each entry as the engine writes it,
//                                          then a command_invalid as a worker writes it
//
// Input is JSONL (blank lines are skipped); output is one message per line. On the first message the codec
// refuses, it prints `line N: code path message` on stderr and exits 1.

#include "engine/codec/command_codec.hpp"
#include "engine/codec/event_codec.hpp"
#include "engine/codec/invalid_codec.hpp"
#include "engine/codec/snapshot_codec.hpp"
#include "engine/codec/state_codec.hpp"
#include "engine/domain/decide.hpp"
#include "test/tools/report.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

namespace {

using namespace salonq::engine;
namespace codec = salonq::engine::codec;
using salonq::test::report;

int round_trip(std::string_view mode) {
    std::string line;
    std::size_t n = 0;
    while (std::getline(std::cin, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        if (mode == "entry" && line.find(R"("type":"command_invalid")") != std::string::npos) {
            auto invalid = codec::decode_command_invalid(line);
            if (!invalid) {
                return report(n, invalid.error());
            }
            fmt::print("{}\n", codec::encode_command_invalid(*invalid));
        } else if (mode == "state") {
            auto state = codec::decode_state(line);
            if (!state) {
                return report(n, state.error());
            }
            fmt::print("{}\n", codec::encode_state(*state));
        } else if (mode == "snapshot") {
            auto snap = codec::decode_salon_snapshot(line);
            if (!snap) {
                return report(n, snap.error());
            }
            fmt::print("{}\n", codec::encode_salon_snapshot(snap->events_offset, codec::encode_state(snap->state)));
        } else if (mode == "chunk") {
            auto chunk = codec::decode_dedupe_chunk(line);
            if (!chunk) {
                return report(n, chunk.error());
            }
            fmt::print("{}\n", codec::encode_dedupe_chunk(*chunk));
        } else if (mode == "entry") {
            auto entry = codec::decode_entry(line);
            if (!entry) {
                return report(n, entry.error());
            }
            fmt::print("{}\n", codec::encode_entry(*entry));
        } else {
            auto const source = mode == "command-log" ? codec::command_source::log : codec::command_source::client;
            auto c = codec::decode_command(line, source);
            if (!c) {
                return report(n, c.error());
            }
            fmt::print("{}\n", codec::encode_command(*c));
        }
    }
    return 0;
}

// One Saturday at salon-042 (London, so local time is UTC in November), as log-form commands. Every event
// type appears at least once, and two commands are refused (a plain staff member ordering a priority start,
// and a double complete).
constexpr std::
    array<std::string_view, 25>
        scenario{
            R"({"type":"register_salon","v":1,"commandId":"pos1-20261121-0001","salonId":"salon-042","actor":{"kind":"terminal","id":"pos-front-1"},"receivedAt":"2026-11-21T08:30:00.000Z","payload":{"name":"Fade & Co. Camden","timezone":"Europe/London"}})",
            R"({"type":"configure_salon","v":1,"commandId":"pos1-20261121-0002","salonId":"salon-042","actor":{"kind":"terminal","id":"pos-front-1"},"receivedAt":"2026-11-21T08:32:10.000Z","payload":{"priorityDailyLimit":3,"maxWaiting":40,"services":[{"code":"cut","name":"Haircut","priceCents":2500,"durationMin":30},{"code":"beard","name":"Beard trim","priceCents":1200,"durationMin":15},{"code":"kids","name":"Kids cut","priceCents":1800,"durationMin":20},{"code":"shave","name":"Hot towel shave","priceCents":2000,"durationMin":25}]}})",
            R"({"type":"add_staff","v":1,"commandId":"pos1-20261121-0003","salonId":"salon-042","actor":{"kind":"system","id":"onboarding"},"receivedAt":"2026-11-21T08:35:00.000Z","payload":{"staffId":"stf-amara","name":"Amara Okafor","role":"owner"}})",
            R"({"type":"add_staff","v":1,"commandId":"pos1-20261121-0004","salonId":"salon-042","actor":{"kind":"staff","id":"stf-amara"},"receivedAt":"2026-11-21T08:35:30.000Z","payload":{"staffId":"stf-ben","name":"Ben Carter","role":"manager"}})",
            R"({"type":"add_staff","v":1,"commandId":"pos1-20261121-0005","salonId":"salon-042","actor":{"kind":"staff","id":"stf-amara"},"receivedAt":"2026-11-21T08:36:00.000Z","payload":{"staffId":"stf-chloe","name":"Chloe Nguyen","role":"staff"}})",
            R"({"type":"clock_in","v":1,"commandId":"tab2-20261121-0001","salonId":"salon-042","actor":{"kind":"staff","id":"stf-ben"},"receivedAt":"2026-11-21T08:58:03.412Z","payload":{"staffId":"stf-ben"}})",
            R"({"type":"clock_in","v":1,"commandId":"tab2-20261121-0002","salonId":"salon-042","actor":{"kind":"staff","id":"stf-chloe"},"receivedAt":"2026-11-21T08:59:41.090Z","payload":{"staffId":"stf-chloe"}})",
            R"({"type":"walk_in","v":1,"commandId":"pos1-20261121-0006","salonId":"salon-042","actor":{"kind":"terminal","id":"pos-front-1"},"receivedAt":"2026-11-21T09:02:14.512Z","payload":{"customer":{"name":"Priya Shah","phone":"+44 7700 900123","customerId":"cust-1187"},"services":["cut","beard"]}})",
            R"({"type":"walk_in","v":1,"commandId":"pos1-20261121-0007","salonId":"salon-042","actor":{"kind":"terminal","id":"pos-front-1"},"receivedAt":"2026-11-21T09:05:40.031Z","payload":{"customer":{"name":"Tom Reilly"},"services":["cut"]}})",
            R"({"type":"walk_in","v":1,"commandId":"pos1-20261121-0008","salonId":"salon-042","actor":{"kind":"terminal","id":"pos-front-1"},"receivedAt":"2026-11-21T09:07:03.877Z","payload":{"customer":{"phone":"07700 900456"},"services":["kids"]}})",
            R"({"type":"walk_in","v":1,"commandId":"pos1-20261121-0009","salonId":"salon-042","actor":{"kind":"terminal","id":"pos-front-1"},"receivedAt":"2026-11-21T09:11:26.250Z","payload":{"customer":{"name":"Margaret Ellis","phone":"020 7946 0018"},"services":["shave"]}})",
            R"({"type":"start","v":1,"commandId":"tab2-20261121-0003","salonId":"salon-042","actor":{"kind":"staff","id":"stf-chloe"},"receivedAt":"2026-11-21T09:12:00.104Z","payload":{"staffId":"stf-chloe"}})",
            R"({"type":"skip","v":1,"commandId":"pos1-20261121-0010","salonId":"salon-042","expectedSeq":12,"actor":{"kind":"terminal","id":"pos-front-1"},"receivedAt":"2026-11-21T09:14:30.000Z","payload":{"ticketId":2,"reason":"not in the shop when called"}})",
            R"({"type":"undo_skip","v":1,"commandId":"pos1-20261121-0011","salonId":"salon-042","actor":{"kind":"terminal","id":"pos-front-1"},"receivedAt":"2026-11-21T09:21:05.660Z","payload":{"ticketId":2}})",
            R"({"type":"start_priority","v":1,"commandId":"tab2-20261121-0004","salonId":"salon-042","actor":{"kind":"staff","id":"stf-chloe"},"receivedAt":"2026-11-21T09:22:10.000Z","payload":{"ticketId":4,"staffId":"stf-ben","reason":"senior_citizen"}})",
            R"({"type":"start_priority","v":1,"commandId":"tab1-20261121-0001","salonId":"salon-042","actor":{"kind":"staff","id":"stf-ben"},"receivedAt":"2026-11-21T09:22:40.318Z","payload":{"ticketId":4,"staffId":"stf-ben","reason":"senior_citizen"}})",
            R"({"type":"complete","v":1,"commandId":"tab2-20261121-0005","salonId":"salon-042","actor":{"kind":"staff","id":"stf-chloe"},"receivedAt":"2026-11-21T09:47:18.925Z","payload":{"ticketId":1}})",
            R"({"type":"complete","v":1,"commandId":"tab2-20261121-0006","salonId":"salon-042","actor":{"kind":"staff","id":"stf-chloe"},"receivedAt":"2026-11-21T09:47:19.702Z","payload":{"ticketId":1}})",
            R"({"type":"cancel","v":1,"commandId":"pos1-20261121-0012","salonId":"salon-042","actor":{"kind":"terminal","id":"pos-front-1"},"receivedAt":"2026-11-21T09:49:00.000Z","payload":{"ticketId":3,"reason":"customer left before being served"}})",
            R"({"type":"complete","v":1,"commandId":"tab1-20261121-0002","salonId":"salon-042","actor":{"kind":"staff","id":"stf-ben"},"receivedAt":"2026-11-21T09:50:02.447Z","payload":{"ticketId":4,"amountCents":1800}})",
            R"({"type":"start","v":1,"commandId":"tab2-20261121-0007","salonId":"salon-042","actor":{"kind":"staff","id":"stf-chloe"},"receivedAt":"2026-11-21T09:51:30.000Z","payload":{"staffId":"stf-chloe","ticketId":2}})",
            R"({"type":"complete","v":1,"commandId":"tab2-20261121-0008","salonId":"salon-042","actor":{"kind":"staff","id":"stf-chloe"},"receivedAt":"2026-11-21T10:20:45.000Z","payload":{"ticketId":2}})",
            R"({"type":"walk_in","v":1,"commandId":"pos1-20261121-0013","salonId":"salon-042","actor":{"kind":"terminal","id":"pos-front-1"},"receivedAt":"2026-11-21T17:20:11.000Z","payload":{"customer":{"name":"Sam Doyle"},"services":["cut"]}})",
            R"({"type":"clock_out","v":1,"commandId":"tab2-20261121-0009","salonId":"salon-042","actor":{"kind":"staff","id":"stf-chloe"},"receivedAt":"2026-11-21T17:30:00.000Z","payload":{"staffId":"stf-chloe"}})",
            R"({"type":"close_day","v":1,"commandId":"tab0-20261121-0001","salonId":"salon-042","actor":{"kind":"staff","id":"stf-amara"},"receivedAt":"2026-11-21T18:00:00.000Z","payload":{}})",
        };

int sample_events() {
    salon_state state;
    state.id = salon_id{"salon-042"};
    std::size_t n = 0;
    auto print = [](log_entry const& entry) {
        auto const text = codec::encode_entry(entry);
        auto back = codec::decode_entry(text);
        if (!back || *back != entry) {
            fmt::print(stderr, "the codec does not read back its own output: {}\n", text);
            return false;
        }
        fmt::print("{}\n", text);
        return true;
    };
    for (auto const line : scenario) {
        ++n;
        auto c = codec::decode_command(line, codec::command_source::log);
        if (!c) {
            return report(n, c.error());
        }
        auto outcome = decide(state, *c);
        if (!outcome) {
            if (!print(rejected_command{c->salon, state.seq, c->id, c->by, c->received_at,
                                        std::string{type_name(c->body)}, outcome.error()})) {
                return 1;
            }
            continue;
        }
        for (auto const& e : *outcome) {
            evolve(state, e);
            if (!print(e)) {
                return 1;
            }
        }
    }
    return 0;
}

// The answer to a message of the commands topic that does not decode (a field the schema does not have), as
// a worker writes it: with the commandId and salonId the message carried.
int sample_invalid() {
    constexpr std::string_view message =
        R"({"type":"walk_in","commandId":"pos1-20261121-0014","salonId":"salon-042","payload":{"customer":{"name":"Jo"},"services":["cut"]},"tip":500})";
    auto const decoded = codec::decode_command(message);
    if (decoded) {
        fmt::print(stderr, "the sample invalid message decodes\n");
        return 1;
    }
    auto const ids = codec::peek_ids(message);
    codec::command_invalid const r{3, 1187, from_unix_ms(1'795'254'400'000), ids.command, ids.salon, decoded.error()};
    auto const text = codec::encode_command_invalid(r);
    auto back = codec::decode_command_invalid(text);
    if (!back || codec::encode_command_invalid(*back) != text) {
        fmt::print(stderr, "the codec does not read back its own output: {}\n", text);
        return 1;
    }
    fmt::print("{}\n", text);
    return 0;
}

int usage() {
    fmt::print(stderr, "usage: codec_tool command-client|command-log|entry|state|snapshot|chunk < messages.jsonl\n"
                       "       codec_tool sample-events\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        return usage();
    }
    std::string_view const mode{argv[1]};
    if (mode == "command-client" || mode == "command-log" || mode == "entry" || mode == "state" || mode == "snapshot" ||
        mode == "chunk") {
        return round_trip(mode);
    }
    if (mode == "sample-events") {
        auto const rc = sample_events();
        return rc != 0 ? rc : sample_invalid();
    }
    return usage();
}
