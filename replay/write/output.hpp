#pragma once

#include <string>
#include <string_view>

namespace salonq::replay {

// Buffered writes to a file descriptor (stdout, or a file the CLI opened): a replay writes millions of short
// lines, and one write(2) per megabyte instead of per line is most of what makes 1,000,000 entries a second
// possible. After a failed write (a closed pipe, a full disk) it drops the rest and failed() says why.
class output {
public:
    explicit output(int fd, std::size_t buffer_bytes = std::size_t{1} << 20);
    ~output();
    output(output const&) = delete;
    output& operator=(output const&) = delete;

    void write(std::string_view bytes) {
        if (buffer_.size() + bytes.size() > capacity_) {
            drain();
        }
        buffer_.append(bytes);
    }
    void put(char c) {
        if (buffer_.size() + 1 > capacity_) {
            drain();
        }
        buffer_.push_back(c);
    }
    // Writes out what is buffered; false if this or an earlier write failed.
    bool flush();
    [[nodiscard]] bool failed() const noexcept { return !error_.empty(); }
    [[nodiscard]] std::string const& error() const noexcept { return error_; }

private:
    void drain();

    int fd_;
    std::size_t capacity_;
    std::string buffer_;
    std::string error_;
};

} // namespace salonq::replay
