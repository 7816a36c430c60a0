#pragma once

// One io_uring whose fixed-file table holds connected sockets, so that a socket held here needs no file descriptor.
// A process's descriptors are capped by RLIMIT_NOFILE (20,000 on the machines salonq is given, and only
// CAP_SYS_RESOURCE raises it); a ring's table is capped by the same number, but per ring, and a process may have
// several rings. A socket is adopted (its descriptor goes into a slot of the table and is closed), read and written
// by slot, and released (shut down, then its slot closed; the slot is free again once the close completes). One
// thread per ring reaps completions and hands each to its operation; submissions come from any thread under the
// ring's mutex. Why and how: docs/live-rings.md.

#include <sys/socket.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>

namespace salonq::uring {

// A read or write in flight. complete() is called once, on the ring's thread, with the byte count or -errno; an
// operation still in flight when its ring is destroyed gets abandon() instead. Either may delete the object.
class operation {
public:
    virtual void complete(int result) noexcept = 0;
    virtual void abandon() noexcept = 0;

    // What the kernel reads or fills: the operation keeps it until it completes.
    msghdr message{};

protected:
    operation() = default;
    ~operation() = default;
    operation(operation const&) = delete;
    operation& operator=(operation const&) = delete;

private:
    friend class ring;
    operation* prev_ = nullptr; // in the ring's list of operations in flight
    operation* next_ = nullptr;
};

class ring {
public:
    // A ring whose table has `slots` places (at most the process's soft RLIMIT_NOFILE); an error says why the
    // kernel refused (no io_uring, too old for it, too many slots, out of memory). Shared: each socket in it holds
    // it, so a socket outliving its rings (a handler the io_context destroys last) still finds it.
    [[nodiscard]] static std::expected<std::shared_ptr<ring>, std::string> open(unsigned slots);
    ~ring();
    ring(ring const&) = delete;
    ring& operator=(ring const&) = delete;

    // Moves a connected socket into a free slot and closes `fd`; nothing when the table is full, the ring is shut
    // down or the kernel refuses (then `fd` is still the caller's).
    [[nodiscard]] std::optional<unsigned> adopt(int fd);
    // recvmsg / sendmsg (MSG_NOSIGNAL) of op.message on the socket in `slot`.
    void receive(unsigned slot, operation& op);
    void send(unsigned slot, operation& op);
    // Shuts the socket down (a pending read completes with 0) and closes its slot.
    void release(unsigned slot);
    // Takes no more work, cancels what is in flight and waits (up to a second) for it to complete, stops the
    // reaper; an operation still in flight then is abandoned. Idempotent; the destructor does it too.
    void shut_down();

    // Sockets adopted and not yet released (a released one's slot may still be closing).
    [[nodiscard]] unsigned held() const noexcept;

private:
    struct impl;
    explicit ring(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace salonq::uring
