#include "replay/write/output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace salonq::replay {

output::output(int fd, std::size_t buffer_bytes) : fd_(fd), capacity_(buffer_bytes) { buffer_.reserve(capacity_); }

output::~output() { (void)flush(); }

void output::drain() {
    std::string_view rest = buffer_;
    while (!rest.empty() && error_.empty()) {
        auto const n = ::write(fd_, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            error_ = std::strerror(errno);
            break;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    buffer_.clear();
}

bool output::flush() {
    drain();
    return error_.empty();
}

} // namespace salonq::replay
