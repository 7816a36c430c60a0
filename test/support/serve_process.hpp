#pragma once

// `salonq serve` as a child process (embedded mode, loopback, rate limits off): its arguments, the port from the line
// it prints when it listens, and an admin token signed by `salonq token issue` with the data directory's keyring.

#include "test/support/piped_process.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace salonq::test {

inline std::uint16_t start_serve(piped_process& p) {
    auto line = p.read_line(std::chrono::seconds{30});
    REQUIRE(line);
    auto const colon = line->rfind(':');
    auto const end = line->find(' ', colon);
    return static_cast<std::uint16_t>(std::stoi(line->substr(colon + 1, end - colon - 1)));
}

inline std::vector<std::string> serve_argv(std::string const& data) {
    return {salonq_binary(), "--data",        data, "--log-level",  "warn", "serve", "--listen",
            "127.0.0.1:0",   "--client-rate", "0",  "--token-rate", "0"};
}

inline std::string admin_token(std::string const& data) {
    piped_process issue{
        {salonq_binary(), "--data", data, "token", "issue", "--role", "admin", "--all-salons", "--ttl", "1h"}};
    auto token = issue.read_line(std::chrono::seconds{30});
    REQUIRE(token);
    REQUIRE(issue.wait() == 0);
    return *token;
}

} // namespace salonq::test
