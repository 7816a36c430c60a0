#pragma once

// The rings a process holds sockets in, opened as they fill: each ring's table is capped by RLIMIT_NOFILE, so
// holding more sockets than a process has descriptors takes several. adopt() tries the open rings in turn and opens
// another when all are full. Must go before the io_context whose handlers its operations hold: its end shuts every
// ring down (what is in flight is cancelled and completes); a socket that outlives it keeps its ring.

#include "api/uring/ring.hpp"

#include <cstddef>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace salonq::uring {

// Where an adopted socket lives (it keeps its ring).
struct place {
    std::shared_ptr<ring> home;
    unsigned slot = 0;
};

class rings {
public:
    // Opens the first ring (so a kernel without io_uring is known at once). slots_per_ring 0: as many as the
    // process's soft RLIMIT_NOFILE allows, at most 16,384.
    [[nodiscard]] static std::expected<std::unique_ptr<rings>, std::string> open(unsigned slots_per_ring = 0);
    ~rings();
    rings(rings const&) = delete;
    rings& operator=(rings const&) = delete;

    // Takes a connected socket's descriptor (closed on success); nothing when no ring can take it.
    [[nodiscard]] std::optional<place> adopt(int fd);
    [[nodiscard]] std::size_t held() const;

    static constexpr std::size_t max_rings = 64;

private:
    explicit rings(unsigned slots_per_ring) : slots_per_ring_(slots_per_ring) {}
    unsigned slots_per_ring_;
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<ring>> rings_;
};

} // namespace salonq::uring
