#include "api/uring/ring.hpp"

#include <liburing.h>

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace salonq::uring {

namespace {

// A completion's user_data: an operation's address (8-aligned), or one of these tags.
constexpr std::uint64_t ignored_tag = 0; // the shutdown before a close
constexpr std::uint64_t stop_tag = 1;    // the reaper's last completion
constexpr std::uint64_t closed_tag = 2;  // | slot << 2: the slot's close completed

constexpr unsigned submission_entries = 512;

std::uint64_t closed(unsigned slot) { return closed_tag | (std::uint64_t{slot} << 2); }

} // namespace

struct ring::impl {
    io_uring uring{};
    unsigned capacity = 0;
    mutable std::mutex mutex; // the submission queue, the slots and the list of operations in flight
    std::vector<unsigned> free_slots;
    unsigned never_used = 0; // slots [never_used, capacity) have never held a socket
    unsigned held = 0;
    operation* in_flight = nullptr;
    bool closed = false; // the ring is being destroyed: nothing more is submitted
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
        auto* sqe = closed ? nullptr : entry();
        if (sqe == nullptr) {
            lock.unlock();
            op.complete(closed ? -ECANCELED : -EBUSY);
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

    // The reaper's loop: completions in batches, each handed to its operation outside the mutex.
    void reap() {
        std::vector<std::pair<operation*, int>> done;
        for (;;) {
            io_uring_cqe* cqe = nullptr;
            if (int const r = io_uring_wait_cqe(&uring, &cqe); r < 0) {
                if (r != -EINTR && r != -EAGAIN) {
                    std::this_thread::sleep_for(std::chrono::milliseconds{1}); // never seen; do not spin
                }
                continue;
            }
            bool const stop = take_completions(done);
            for (auto const& [op, result] : done) {
                op->complete(result);
            }
            done.clear();
            if (stop) {
                return;
            }
        }
    }

    bool take_completions(std::vector<std::pair<operation*, int>>& done) {
        bool stop = false;
        std::scoped_lock lock{mutex};
        unsigned head = 0;
        unsigned seen = 0;
        io_uring_cqe* cqe = nullptr;
        io_uring_for_each_cqe(&uring, head, cqe) {
            ++seen;
            auto const data = cqe->user_data;
            if (data == stop_tag) {
                stop = true;
            } else if ((data & 3U) == closed_tag) {
                free_slots.push_back(static_cast<unsigned>(data >> 2));
            } else if (data != ignored_tag) {
                auto* op = reinterpret_cast<operation*>(data); // NOLINT: the address we set as user_data
                unlink(*op);
                done.emplace_back(op, cqe->res);
            }
        }
        io_uring_cq_advance(&uring, seen);
        if (io_uring_sq_ready(&uring) > 0) {
            (void)io_uring_submit(&uring);
        }
        return stop;
    }
};

ring::ring(std::unique_ptr<impl> i) : impl_(std::move(i)) {
    impl_->reaper = std::thread([self = impl_.get()] {
        ::pthread_setname_np(::pthread_self(), "salonq-ring");
        self->reap();
    });
}

std::expected<std::unique_ptr<ring>, std::string> ring::open(unsigned slots) {
    auto i = std::make_unique<impl>();
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE;
    // At most a read and a write in flight per socket, plus the closes: the completion queue never overflows.
    params.cq_entries = 2 * slots + submission_entries;
    if (int const r = io_uring_queue_init_params(submission_entries, &i->uring, &params); r < 0) {
        return std::unexpected(std::string{"io_uring_setup: "} + std::strerror(-r));
    }
    if (int const r = io_uring_register_files_sparse(&i->uring, slots); r < 0) {
        io_uring_queue_exit(&i->uring);
        return std::unexpected(std::string{"a table of "} + std::to_string(slots) + " sockets: " + std::strerror(-r));
    }
    i->capacity = slots;
    return std::unique_ptr<ring>(new ring(std::move(i)));
}

ring::~ring() {
    auto& i = *impl_;
    {
        std::scoped_lock lock{i.mutex};
        io_uring_sqe* sqe = nullptr;
        while ((sqe = i.entry()) == nullptr) {
            std::this_thread::yield(); // the kernel has not taken the queue yet
        }
        io_uring_prep_nop(sqe);
        io_uring_sqe_set_data64(sqe, stop_tag);
        (void)io_uring_submit(&i.uring);
    }
    i.reaper.join();
    operation* left = nullptr;
    {
        std::scoped_lock lock{i.mutex};
        i.closed = true;
        left = std::exchange(i.in_flight, nullptr);
    }
    io_uring_queue_exit(&i.uring); // cancels what is still in flight and closes every slot
    while (left != nullptr) {
        auto* next = left->next_;
        left->abandon(); // may release a slot of this ring: a no-op now
        left = next;
    }
}

std::optional<unsigned> ring::adopt(int fd) {
    auto& i = *impl_;
    std::scoped_lock lock{i.mutex};
    if (i.closed) {
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
        return;
    }
    if (io_uring_sq_space_left(&i.uring) < 2) {
        (void)io_uring_submit(&i.uring);
        if (io_uring_sq_space_left(&i.uring) < 2) {
            return; // never seen: the kernel takes the whole queue at every submit
        }
    }
    auto* shut = io_uring_get_sqe(&i.uring);
    auto* close = io_uring_get_sqe(&i.uring);
    // A hard link: the close runs even when the shutdown fails (a peer already gone).
    io_uring_prep_shutdown(shut, static_cast<int>(slot), SHUT_RDWR);
    shut->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
    io_uring_sqe_set_data64(shut, ignored_tag);
    io_uring_prep_close_direct(close, slot);
    io_uring_sqe_set_data64(close, closed(slot));
    (void)io_uring_submit(&i.uring);
    --i.held;
}

unsigned ring::capacity() const noexcept { return impl_->capacity; }

unsigned ring::held() const noexcept {
    std::scoped_lock lock{impl_->mutex};
    return impl_->held;
}

} // namespace salonq::uring
