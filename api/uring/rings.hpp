#pragma once

// The rings a process holds sockets in, opened as they fill: each ring's table is capped by RLIMIT_NOFILE, so
// holding more sockets than a process has descriptors takes several. adopt() tries the open rings in turn and opens
// another when all are full. Lives longer than every socket in it, and must go before the io_context whose handlers
// its operations hold (it abandons the operations still in flight).

#include "api/uring/ring.hpp"

#include <cstddef>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace salonq::uring {

// Where an adopted socket lives.
struct place {
    ring* home = nullptr;
    unsigned slot = 0;
};

class rings {
public:
    // Opens the first ring (so a kernel without io_uring is known at once). slots_per_ring 0: as many as the
    // process's soft RLIMIT_NOFILE allows, at most 16,384.
    [[nodiscard]] static std::expected<std::unique_ptr<rings>, std::string> open(unsigned slots_per_ring = 0);

    // Takes a connected socket's descriptor (closed on success); nothing when no ring can take it.
    [[nodiscard]] std::optional<place> adopt(int fd);
    [[nodiscard]] std::size_t held() const;
    [[nodiscard]] std::size_t count() const;

    static constexpr std::size_t max_rings = 64;

private:
    explicit rings(unsigned slots_per_ring) : slots_per_ring_(slots_per_ring) {}
    unsigned slots_per_ring_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<ring>> rings_;
};

} // namespace salonq::uring
