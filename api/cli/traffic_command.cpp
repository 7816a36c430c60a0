#include "api/cli/traffic_command.hpp"

#include "api/auth/keyring_file.hpp"
#include "api/traffic/driver.hpp"

#include <atomic>
#include <csignal>
#include <exception>
#include <iostream>

namespace salonq::api {
namespace {

std::atomic<bool> stop_requested{false};

extern "C" void stop_traffic(int /*signal*/) { stop_requested.store(true); }

} // namespace

CLI::App* add_traffic_command(CLI::App& app, traffic_options& to) {
    auto* traffic = app.add_subcommand(
        "traffic", "Play simulated salon traffic against a running server over its HTTP API: customers walk in, "
                   "stylists start and complete services, the odd customer is skipped, comes back, leaves or is "
                   "served first; stylists take breaks. Sets up missing salons first. Ctrl-C stops it.");
    traffic->footer("Tokens are signed with the keyring of --data, which must be the server's data directory (as for "
                    "`salonq token issue`); they live 15 minutes and are never printed.\n"
                    "Example: salonq --data var/salonq-data traffic --url http://127.0.0.1:8080 --speed 300");
    traffic->add_option("--url", to.url, "The server, http://HOST:PORT")->capture_default_str();
    traffic
        ->add_option("--salons", to.salons,
                     "Salon ids, comma-separated: demo, north and riverside are the demo "
                     "salons; any other id gets a small salon of its own")
        ->delimiter(',')
        ->capture_default_str();
    traffic
        ->add_option("--speed", to.speed,
                     "Simulated seconds per real second: 120 plays a salon hour in 30 s (something happens every "
                     "couple of seconds in each salon); 1 is real time")
        ->check(CLI::Range(0.1, 100'000.0))
        ->capture_default_str();
    traffic->add_option("--duration", to.duration_s, "Stop after this many real seconds (0: run until Ctrl-C)")
        ->check(CLI::Range(0.0, 1e9))
        ->capture_default_str();
    traffic->add_option("--seed", to.seed, "Random seed: the same seed walks in the same customers")
        ->capture_default_str();
    traffic
        ->add_option("--utilisation", to.utilisation,
                     "How busy walk-ins keep the stylists on duty: near 1 a line of a few people forms")
        ->check(CLI::Range(0.05, 1.5))
        ->capture_default_str();
    traffic->add_option("--keyring", to.keyring, "The keyring file (default <data>/auth/keyring.json)")
        ->envname("SALONQ_KEYRING");
    return traffic;
}

int run_traffic(store_options const& so, traffic_options const& to) {
    auto where = traffic::parse_url(to.url);
    if (!where) {
        std::cerr << "salonq traffic: --url " << where.error() << "\n";
        return 2;
    }
    if (to.salons.empty()) {
        std::cerr << "salonq traffic: --salons names no salon\n";
        return 2;
    }
    traffic::driver_options options;
    options.server = *where;
    options.salons = to.salons;
    options.speed = to.speed;
    options.seed = to.seed;
    options.utilisation = to.utilisation;
    if (to.duration_s > 0) {
        options.duration = std::chrono::milliseconds{static_cast<std::int64_t>(to.duration_s * 1000)};
    }
    std::signal(SIGINT, stop_traffic);
    std::signal(SIGTERM, stop_traffic);
    try {
        traffic::token_minter tokens{to.keyring ? *to.keyring : auth::default_keyring_path(so.data)};
        traffic::driver driver{options, tokens, stop_requested, std::cout};
        return driver.run();
    } catch (std::exception const& e) {
        std::cerr << "salonq traffic: " << e.what() << "\n";
        return 1;
    }
}

} // namespace salonq::api
