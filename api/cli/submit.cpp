#include "api/cli/commands.hpp"
#include "api/cli/ordered_printer.hpp"
#include "api/cli/outcome_json.hpp"
#include "engine/codec/command_codec.hpp"

#include <fmt/format.h>

#include <atomic>
#include <iostream>
#include <string>
#include <thread>

namespace salonq::api {
namespace {

using namespace salonq::engine;

struct submit_counts {
    std::atomic<std::size_t> commands{0};
    std::atomic<std::size_t> invalid{0};
    std::atomic<std::size_t> failed{0};
};

bool blank_line(std::string const& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// Hands each command line to the engine and its outcome to the printer. A blank line gets no outcome but is
// counted: an outcome's "line" is the physical line number, as an editor shows it.
void read_commands(runtime::embedded_engine& engine, std::istream& in, ordered_printer& printer,
                   submit_counts& counts) {
    std::string text;
    for (std::size_t line = 1; std::getline(in, text); ++line) {
        if (blank_line(text)) {
            continue;
        }
        ++counts.commands;
        auto const slot = printer.reserve();
        auto decoded = codec::decode_command(text, codec::command_source::client);
        if (!decoded) {
            ++counts.invalid;
            printer.set(slot, invalid_json(line, decoded.error()));
            continue;
        }
        engine.submit(std::move(*decoded),
                      [&printer, &counts, slot, line](std::expected<runtime::outcome, runtime::error> r) {
                          if (!r) {
                              ++counts.failed;
                          }
                          printer.set(slot, r ? outcome_json(line, *r) : failed_json(line, r.error()));
                      });
    }
}

} // namespace

// Reading runs on a thread of its own so that waiting for the next line never holds back the answer to the
// previous one (a client may write one command and wait for its outcome before it sends another).
int run_submit(store_options const& so, std::istream& in) {
    auto engine = open_engine(so);
    if (!engine) {
        std::cerr << "salonq submit: " << engine.error() << "\n";
        return 2;
    }
    constexpr std::size_t max_in_flight = 65536;
    ordered_printer printer{max_in_flight};
    submit_counts counts;
    std::jthread reader{[&] {
        read_commands(**engine, in, printer, counts);
        printer.close();
    }};
    printer.run();
    reader.join();
    if (counts.invalid > 0 || counts.failed > 0) {
        std::cerr << fmt::format("salonq submit: {} lines, {} invalid, {} failed\n", counts.commands.load(),
                                 counts.invalid.load(), counts.failed.load());
        return 1;
    }
    return 0;
}

} // namespace salonq::api
