#include "api/uring/ring.hpp"

#include <liburing.h>

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace salonq::uring {

namespace {

// A completion's user_data: an operation's address (8-aligned), or one of these tags.
constexpr std::uint64_t ignored_tag = 0; // a cancel; a shutdown that failed (a successful one posts nothing)
constexpr std::uint64_t closed_tag = 2;  // | slot << 2: the slot's close completed

constexpr unsigned submission_entries = 512;
constexpr unsigned most_completions = 65'536; // the kernel's cap (IORING_MAX_CQ_ENTRIES)
constexpr auto reaper_tick = std::chrono::milliseconds{50};
// While completions keep coming, the reaper waits for a batch of them or this long, whichever is first (see reap()).
constexpr unsigned gather_count = 64;
constexpr auto gather_time = std::chrono::milliseconds{1};
constexpr auto shut_down_wait = std::chrono::seconds{1};

std::uint64_t closed_slot(unsigned slot) { return closed_tag | (std::uint64_t{slot} << 2); }

} // namespace

struct ring::impl {
    io_uring uring{};
    unsigned capacity = 0;
    mutable std::mutex mutex; // the submission queue, the slots and the list of operations in flight
    std::vector<unsigned> free_slots;
    std::vector<unsigned> to_release; // releases that found the submission queue full: the reaper retries
    unsigned never_used = 0;          // slots [never_used, capacity) have never held a socket
    unsigned held = 0;
    operation* in_flight = nullptr;
    bool stopping = false; // shut_down began: no new operations or sockets
    bool closed = false;   // the reaper is gone: nothing more is submitted
    std::chrono::steady_clock::time_point give_up{};
    std::thread reaper;

    // Under the mutex: a free submission entry, making room by submitting what is queued.
    io_uring_sqe* entry() {
        auto* sqe = io_uring_get_sqe(&uring);
        if (sqe == nullptr) {
            (void)io_uring_submit(&uring); // queued entries stay queued on failure; the reaper submits them later
            sqe = io_uring_get_sqe(&uring);
        }
        return sqe;
    }

    void link(operation& op) {
        op.prev_ = nullptr;
        op.next_ = in_flight;
        if (in_flight != nullptr) {
            in_flight->prev_ = &op;
        }
        in_flight = &op;
    }

    void unlink(operation& op) {
        if (op.prev_ != nullptr) {
            op.prev_->next_ = op.next_;
        } else {
            in_flight = op.next_;
        }
        if (op.next_ != nullptr) {
            op.next_->prev_ = op.prev_;
        }
        op.prev_ = op.next_ = nullptr;
    }

    void submit(unsigned slot, operation& op, bool reading) {
        std::unique_lock lock{mutex};
        auto* sqe = stopping ? nullptr : entry();
        if (sqe == nullptr) {
            lock.unlock();
            op.complete(stopping ? -ECANCELED : -EBUSY);
            return;
        }
        if (reading) {
            io_uring_prep_recvmsg(sqe, static_cast<int>(slot), &op.message, 0);
        } else {
            io_uring_prep_sendmsg(sqe, static_cast<int>(slot), &op.message, MSG_NOSIGNAL);
        }
        sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data(sqe, &op);
        link(op);
        (void)io_uring_submit(&uring); // on failure the entry stays queued and the reaper submits it
    }

    // Under the mutex: a shutdown hard-linked to the slot's close (the close runs even when the shutdown fails, on
    // a peer already gone); false when the submission queue has no room for the pair.
    bool queue_release(unsigned slot) {
        if (io_uring_sq_space_left(&uring) < 2) {
            (void)io_uring_submit(&uring);
            if (io_uring_sq_space_left(&uring) < 2) {
                return false;
            }
        }
        auto* shut = io_uring_get_sqe(&uring);
        io_uring_prep_shutdown(shut, static_cast<int>(slot), SHUT_RDWR);
        shut->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
        io_uring_sqe_set_data64(shut, ignored_tag);
        auto* close = io_uring_get_sqe(&uring);
        io_uring_prep_close_direct(close, slot);
        io_uring_sqe_set_data64(close, closed_slot(slot));
        return true;
    }

    // The reaper's loop: completions in batches, each handed to its operation outside the mutex. It also wakes
    // every tick, to submit what a failed submit left queued and the releases that found no room. Idle, it wakes at
    // the first completion. Once a wake found some, it waits for gather_count of them or gather_time: each frame
    // of a change fanned out to a salon's screens completes a send, and waking the reaper for each one (then the
    // session's thread for its handler) was most of the context switches of a busy live server. A completion only
    // lets its session write its next frame or read on: a frame queued behind others in a session waits at most a
    // millisecond more per frame ahead of it, and the first frame of a change none.
    void reap() {
        std::vector<std::pair<operation*, int>> done;
        bool gathering = false;
        for (;;) {
            io_uring_cqe* cqe = nullptr;
            auto const wait = gathering ? gather_time : reaper_tick;
            __kernel_timespec timeout{0, std::chrono::nanoseconds{wait}.count()};
            int const r = io_uring_wait_cqes(&uring, &cqe, gathering ? gather_count : 1, &timeout, nullptr);
            if (r < 0 && r != -ETIME && r != -EINTR) {
                std::this_thread::sleep_for(std::chrono::milliseconds{1}); // never seen; do not spin
            }
            bool const finished = take_completions(done);
            gathering = !done.empty();
            for (auto const& [op, result] : done) {
                op->complete(result);
            }
            done.clear();
            if (finished) {
                return;
            }
        }
    }

    // True once shutting down and nothing is left in flight (or the wait for it has run out).
    bool take_completions(std::vector<std::pair<operation*, int>>& done) {
        std::scoped_lock lock{mutex};
        unsigned head = 0;
        unsigned seen = 0;
        io_uring_cqe* cqe = nullptr;
        io_uring_for_each_cqe(&uring, head, cqe) {
            ++seen;
            auto const data = cqe->user_data;
            if ((data & 3U) == closed_tag) {
                free_slots.push_back(static_cast<unsigned>(data >> 2));
            } else if (data != ignored_tag) {
                auto* op = reinterpret_cast<operation*>(data); // NOLINT: the address we set as user_data
                unlink(*op);
                done.emplace_back(op, cqe->res);
            }
        }
        io_uring_cq_advance(&uring, seen);
        while (!to_release.empty() && queue_release(to_release.back())) {
            to_release.pop_back();
        }
        if (io_uring_sq_ready(&uring) > 0) {
            (void)io_uring_submit(&uring);
        }
        return stopping &&
               ((in_flight == nullptr && to_release.empty()) || std::chrono::steady_clock::now() >= give_up);
    }
};

ring::ring(std::unique_ptr<impl> i) : impl_(std::move(i)) {
    impl_->reaper = std::thread([self = impl_.get()] {
        ::pthread_setname_np(::pthread_self(), "salonq-ring");
        self->reap();
    });
}

std::expected<std::shared_ptr<ring>, std::string> ring::open(unsigned slots) {
    auto i = std::make_unique<impl>();
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
    // A read, a write and a close per socket, and a read of the slot's previous socket: room for all of them (a
    // full queue is not lost, the kernel keeps the rest, but that costs memory at the worst time).
    params.cq_entries = std::min(most_completions, 4 * slots + submission_entries);
    if (int const r = io_uring_queue_init_params(submission_entries, &i->uring, &params); r < 0) {
        return std::unexpected(std::string{"io_uring_setup: "} + std::strerror(-r));
    }
    // The reaper waits with a timeout while others submit: only safe when the wait takes no submission entry.
    if ((params.features & IORING_FEAT_EXT_ARG) == 0) {
        io_uring_queue_exit(&i->uring);
        return std::unexpected("io_uring without IORING_FEAT_EXT_ARG (Linux before 5.11)");
    }
    if (int const r = io_uring_register_files_sparse(&i->uring, slots); r < 0) {
        io_uring_queue_exit(&i->uring);
        return std::unexpected(std::string{"a table of "} + std::to_string(slots) + " sockets: " + std::strerror(-r));
    }
    i->capacity = slots;
    return std::shared_ptr<ring>(new ring(std::move(i)));
}

ring::~ring() {
    shut_down();
    io_uring_queue_exit(&impl_->uring); // closes every slot still held
}

void ring::shut_down() {
    auto& i = *impl_;
    for (;;) {
        std::scoped_lock lock{i.mutex};
        if (i.stopping) {
            break;
        }
        if (auto* sqe = i.entry()) {
            // Every operation in flight ends with -ECANCELED; the cancel's own completion wakes the reaper.
            io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
            io_uring_sqe_set_data64(sqe, ignored_tag);
            (void)io_uring_submit(&i.uring);
            i.stopping = true;
            i.give_up = std::chrono::steady_clock::now() + shut_down_wait;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{1}); // the queue is full: let the reaper drain it
    }
    if (i.reaper.joinable()) {
        i.reaper.join();
    }
    operation* left = nullptr;
    {
        std::scoped_lock lock{i.mutex};
        i.closed = true;
        left = std::exchange(i.in_flight, nullptr);
    }
    while (left != nullptr) {
        auto* next = left->next_;
        left->abandon(); // may release a slot of this ring: a no-op now
        left = next;
    }
}

std::optional<unsigned> ring::adopt(int fd) {
    auto& i = *impl_;
    std::scoped_lock lock{i.mutex};
    if (i.stopping) {
        return std::nullopt;
    }
    unsigned slot = 0;
    if (!i.free_slots.empty()) {
        slot = i.free_slots.back();
        i.free_slots.pop_back();
    } else if (i.never_used < i.capacity) {
        slot = i.never_used++;
    } else {
        return std::nullopt;
    }
    if (io_uring_register_files_update(&i.uring, slot, &fd, 1) != 1) {
        i.free_slots.push_back(slot);
        return std::nullopt;
    }
    (void)::close(fd); // the table holds the socket now
    ++i.held;
    return slot;
}

void ring::receive(unsigned slot, operation& op) { impl_->submit(slot, op, true); }

void ring::send(unsigned slot, operation& op) { impl_->submit(slot, op, false); }

void ring::release(unsigned slot) {
    auto& i = *impl_;
    std::scoped_lock lock{i.mutex};
    if (i.closed) {
        return; // the ring's end closes it
    }
    --i.held;
    if (!i.queue_release(slot)) {
        i.to_release.push_back(slot);
        return;
    }
    (void)io_uring_submit(&i.uring);
}

unsigned ring::held() const noexcept {
    std::scoped_lock lock{impl_->mutex};
    return impl_->held;
}

} // namespace salonq::uring
