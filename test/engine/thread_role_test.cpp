#include "engine/runtime/thread_role.hpp"

#include <doctest/doctest.h>

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <string>
#include <thread>

using salonq::engine::runtime::set_thread_role;
using salonq::engine::runtime::thread_role;

namespace {

struct seen {
    int nice = 0;
    std::string name;
};

// What a thread that took `role` looks like to the scheduler and to top -H.
seen run_as(char const* name, thread_role role) {
    seen s;
    std::thread t{[&] {
        set_thread_role(name, role);
        s.nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
        std::array<char, 16> buffer{};
        ::pthread_getname_np(::pthread_self(), buffer.data(), buffer.size());
        s.name = buffer.data();
    }};
    t.join();
    return s;
}

} // namespace

TEST_CASE("thread roles: a background fold runs at a lower weight than the request path, and both are named") {
    int const inherited = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));

    auto const background = run_as("salonq-stats", thread_role::background);
    CHECK(background.name == "salonq-stats");
    CHECK(background.nice == std::min(19, inherited + 10)); // nice 10 when started at 0

    auto const request = run_as("salonq-engine", thread_role::request_path);
    CHECK(request.name == "salonq-engine");
    CHECK(request.nice == inherited);

    // A request-path thread started by a background one gets the process's weight back, not its creator's.
    seen nested;
    std::thread creator{[&] {
        set_thread_role("salonq-stats", thread_role::background);
        nested = run_as("salonq-viewsave", thread_role::request_path);
    }};
    creator.join();
    CHECK(nested.nice == inherited);

    // The calling thread is the one changed, never the process: this thread keeps its weight.
    CHECK(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())) == inherited);
}
