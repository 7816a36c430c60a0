#include "api/uring/rings.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace salonq::uring {

namespace {

unsigned default_slots() {
    constexpr unsigned most = 16'384;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return most;
    }
    return static_cast<unsigned>(std::min<rlim_t>(most, limit.rlim_cur)); // the kernel's cap on one table
}

} // namespace

std::expected<std::unique_ptr<rings>, std::string> rings::open(unsigned slots_per_ring) {
    std::unique_ptr<rings> r{new rings(slots_per_ring == 0 ? default_slots() : slots_per_ring)};
    auto first = ring::open(r->slots_per_ring_);
    if (!first) {
        return std::unexpected(first.error());
    }
    r->rings_.push_back(std::move(*first));
    return r;
}

rings::~rings() {
    for (auto& r : rings_) {
        r->shut_down();
    }
}

std::optional<place> rings::adopt(int fd) {
    std::scoped_lock lock{mutex_};
    for (auto& r : rings_) {
        if (auto slot = r->adopt(fd)) {
            return place{r, *slot};
        }
    }
    if (rings_.size() >= max_rings) {
        return std::nullopt;
    }
    auto more = ring::open(slots_per_ring_);
    if (!more) {
        return std::nullopt;
    }
    rings_.push_back(std::move(*more));
    if (auto slot = rings_.back()->adopt(fd)) {
        return place{rings_.back(), *slot};
    }
    return std::nullopt;
}

std::size_t rings::held() const {
    std::scoped_lock lock{mutex_};
    std::size_t n = 0;
    for (auto const& r : rings_) {
        n += r->held();
    }
    return n;
}

} // namespace salonq::uring
