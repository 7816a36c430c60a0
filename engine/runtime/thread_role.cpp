#include "engine/runtime/thread_role.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace salonq::engine::runtime {
namespace {

constexpr int background_step = 10; // nice steps below the thread that starts it (nice 10 in a process at 0)
constexpr int lowest = 19;

} // namespace

void set_thread_role(char const* name, thread_role role) noexcept {
    ::pthread_setname_np(::pthread_self(), name);
    if (role == thread_role::background) {
        // On Linux a nice value belongs to the thread (its tid), not to the whole process; a new thread starts at
        // its creator's. Relative, so that a process an operator runs at nice 15 does not get threads at 10.
        auto const tid = static_cast<id_t>(::gettid());
        errno = 0;
        int const now = ::getpriority(PRIO_PROCESS, tid);
        if (errno == 0) {
            (void)::setpriority(PRIO_PROCESS, tid, std::min(lowest, now + background_step));
        }
    }
}

} // namespace salonq::engine::runtime
