// salonq serve --brokers --role api|all: Kafka mode's HTTP API (api/serve/kafka_stack), with an engine worker in
// the same process for role all.

#include "api/cli/auth_commands.hpp"
#include "api/cli/commands.hpp"
#include "api/serve/kafka_stack.hpp"
#include "engine/logging/logger.hpp"

#include <fmt/format.h>

#include <iostream>
#include <thread>

namespace salonq::api {

int run_serve_kafka(store_options const& so, kafka_options const& ko, http_options const& ho, auth_options const& ao) {
    auto const log = logging::logger{"serve"};
    auto http = server_options_of(ho);
    if (!http) {
        log.error("{}", http.error()); // a JSON line under --log-format json, as a shipper expects
        return 2;
    }
    kafka_stack_options o;
    o.data = so.data;
    o.kafka = kafka_settings(ko);
    o.kafka.client_id = "salonq-api";
    o.keyring = ao.keyring;
    o.http = *http;
    o.max_lag_events = ko.max_lag_events;
    o.instance = worker_options_of(so, ko).instance; // --instance, or host-pid
    o.notify.allow_private = ho.webhook_allow_private;

    // Role all: the worker decides in a thread of its own while the server runs here; a stop of the server (its
    // SIGTERM/SIGINT handlers) then stops the worker.
    int worker_exit = 0;
    std::jthread worker;
    if (ko.role == "all") {
        worker =
            std::jthread{[options = worker_options_of(so, ko), &worker_exit] { worker_exit = run_worker(options); }};
    }
    auto stack = kafka_stack::open(std::move(o));
    if (!stack) {
        log.error("{}", stack.error());
        stop_worker();
        return 2;
    }
    // The one line a script or a test waits for: where to connect.
    auto const url = url_of(http->address, (*stack)->port());
    (*stack)->run(true, [&] { // said once SIGTERM is caught
        std::cout << fmt::format("salonq: serving {} (kafka, role {}, brokers {}, data {})", url, ko.role, ko.brokers,
                                 so.data.string())
                  << "\n"
                  << std::flush;
    });
    log.info("stopped: every request answered");
    stack->reset();
    stop_worker();
    worker = {}; // joins
    return worker_exit;
}

} // namespace salonq::api
