// ThreadSanitizer builds only (SALONQ_TSAN): C11 threads, mutexes and condition variables as the pthread calls
// ThreadSanitizer intercepts.
//
// Debian's librdkafka runs its threads with C11 <threads.h> (thrd_create, mtx_lock, cnd_wait, ...). glibc implements
// those with internal pthread calls that TSan cannot intercept, and GCC 12's libtsan has no thrd_/mtx_/cnd_
// interceptors (LLVM added them later): librdkafka's threads were unknown to TSan (its allocator crashed in them, in
// getaddrinfo) and its locks invisible. Defined in the executable, these take precedence over glibc's for
// librdkafka (the linker exports them because librdkafka refers to them), and do what glibc does, through the
// public, intercepted pthread functions.

#include <cerrno>
#include <cstdint>
#include <new>
#include <pthread.h>
#include <threads.h>

static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t) && sizeof(cnd_t) == sizeof(pthread_cond_t) &&
              sizeof(thrd_t) == sizeof(pthread_t));

namespace {

int from_errno(int e) {
    switch (e) {
    case 0:
        return thrd_success;
    case ENOMEM:
        return thrd_nomem;
    case ETIMEDOUT:
        return thrd_timedout;
    case EBUSY:
        return thrd_busy;
    default:
        return thrd_error;
    }
}

pthread_mutex_t* as_pthread(mtx_t* m) { return reinterpret_cast<pthread_mutex_t*>(m); }
pthread_cond_t* as_pthread(cnd_t* c) { return reinterpret_cast<pthread_cond_t*>(c); }

struct start {
    thrd_start_t func;
    void* arg;
};

void* run(void* p) {
    auto const s = *static_cast<start*>(p);
    delete static_cast<start*>(p);
    return reinterpret_cast<void*>(static_cast<std::intptr_t>(s.func(s.arg)));
}

} // namespace

extern "C" {

int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) {
    auto* s = new (std::nothrow) start{func, arg};
    if (s == nullptr) {
        return thrd_nomem;
    }
    int const e = pthread_create(thr, nullptr, run, s);
    if (e != 0) {
        delete s;
    }
    return from_errno(e);
}

int thrd_join(thrd_t thr, int* res) {
    void* r = nullptr;
    int const e = pthread_join(thr, &r);
    if (e == 0 && res != nullptr) {
        *res = static_cast<int>(reinterpret_cast<std::intptr_t>(r));
    }
    return from_errno(e);
}

int thrd_detach(thrd_t thr) { return from_errno(pthread_detach(thr)); }

int mtx_init(mtx_t* m, int type) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    if ((type & mtx_recursive) != 0) {
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    }
    int const e = pthread_mutex_init(as_pthread(m), &attr);
    pthread_mutexattr_destroy(&attr);
    return from_errno(e);
}

int mtx_lock(mtx_t* m) { return from_errno(pthread_mutex_lock(as_pthread(m))); }
int mtx_trylock(mtx_t* m) { return from_errno(pthread_mutex_trylock(as_pthread(m))); }
int mtx_unlock(mtx_t* m) { return from_errno(pthread_mutex_unlock(as_pthread(m))); }
void mtx_destroy(mtx_t* m) { pthread_mutex_destroy(as_pthread(m)); }

int cnd_init(cnd_t* c) { return from_errno(pthread_cond_init(as_pthread(c), nullptr)); }
int cnd_signal(cnd_t* c) { return from_errno(pthread_cond_signal(as_pthread(c))); }
int cnd_broadcast(cnd_t* c) { return from_errno(pthread_cond_broadcast(as_pthread(c))); }
int cnd_wait(cnd_t* c, mtx_t* m) { return from_errno(pthread_cond_wait(as_pthread(c), as_pthread(m))); }
int cnd_timedwait(cnd_t* c, mtx_t* m, timespec const* until) {
    return from_errno(pthread_cond_timedwait(as_pthread(c), as_pthread(m), until));
}
void cnd_destroy(cnd_t* c) { pthread_cond_destroy(as_pthread(c)); }

} // extern "C"
