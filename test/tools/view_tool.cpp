// view_tool: the queue view's JSON from the command line, for the schema test (test/schemas/check_schemas.py).
//
//   view_tool view    < views.jsonl     decode queue views, print the re-encoding
//   view_tool fold    < entries.jsonl   fold events log entries (codec_tool sample-events' output) into a view
//                                       with the wait predictor; print the view after each event
//   view_tool tickets < entries.jsonl   the same fold; after each event print every ticket the view knows, as
//                                       its ticket link shows it (encode_ticket)
//
// Input is JSONL (blank lines are skipped; refusals and command_invalid entries fold to nothing). On the first line
// that does not decode, it prints `line N: code path message` on stderr and exits 1.

#include "engine/codec/event_codec.hpp"
#include "projections/queue/observed_estimator.hpp"
#include "projections/queue/view_codec.hpp"
#include "test/tools/report.hpp"

#include <fmt/format.h>

#include <iostream>
#include <string>
#include <string_view>

namespace {

using namespace salonq::engine;
using namespace salonq::projections;
namespace codec = salonq::engine::codec;
using salonq::test::report;

int round_trip() {
    std::string line;
    for (std::size_t n = 1; std::getline(std::cin, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        auto v = decode_view(line);
        if (!v) {
            return report(n, v.error());
        }
        fmt::print("{}\n", encode_view(*v));
    }
    return 0;
}

int fold(bool tickets) {
    queue_view view;
    observed_estimator const estimator;
    std::uint64_t last_ticket = 0;
    std::string line;
    for (std::size_t n = 1; std::getline(std::cin, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos ||
            line.find(R"("type":"command_invalid")") != std::string::npos) {
            continue;
        }
        auto entry = codec::decode_entry(line);
        if (!entry) {
            return report(n, entry.error());
        }
        auto const* e = std::get_if<event>(&*entry);
        if (e == nullptr) {
            continue;
        }
        apply(view, *e);
        estimator.estimate(view);
        if (auto const* issued = std::get_if<evt::ticket_issued>(&e->body)) {
            last_ticket = std::max(last_ticket, issued->ticket.value());
        }
        if (!tickets) {
            fmt::print("{}\n", encode_view(view));
            continue;
        }
        for (std::uint64_t id = 1; id <= last_ticket; ++id) {
            if (auto json = encode_ticket(view, ticket_id{id})) {
                fmt::print("{}\n", *json);
            }
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::string_view const mode = argc == 2 ? argv[1] : "";
    if (mode == "view") {
        return round_trip();
    }
    if (mode == "fold" || mode == "tickets") {
        return fold(mode == "tickets");
    }
    fmt::print(stderr, "usage: view_tool view|fold|tickets < in.jsonl\n");
    return 2;
}
