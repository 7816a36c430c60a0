#include "engine/runtime/thread_role.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace salonq::engine::runtime {
namespace {

constexpr int background_step = 10; // nice steps below the process (nice 10 in a process at 0)
constexpr int lowest = 19;

} // namespace

void set_thread_role(char const* name, thread_role role) noexcept {
    ::pthread_setname_np(::pthread_self(), name);
    // On Linux a nice value belongs to the thread (its tid), not to the whole process; a new thread starts at its
    // creator's. Both roles are set relative to the process's (its main thread's, whose tid is the pid), so that one
    // an operator runs at nice 15 gets threads at 15 and 19, and a request-path thread started by a background one
    // does not keep the background weight.
    auto const tid = static_cast<id_t>(::gettid());
    errno = 0;
    int const process = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::getpid()));
    int const now = ::getpriority(PRIO_PROCESS, tid);
    if (errno != 0) {
        return;
    }
    int const wanted = role == thread_role::background ? std::min(lowest, process + background_step) : process;
    if (wanted != now) {
        (void)::setpriority(PRIO_PROCESS, tid, wanted);
    }
}

} // namespace salonq::engine::runtime
