#include "api/auth/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace salonq::api::auth::files {
namespace {

constexpr mode_t private_file = 0600;
constexpr mode_t private_dir = 0700;
constexpr mode_t group_or_others = 077;

// Owns a file descriptor.
class fd_holder {
public:
    explicit fd_holder(int fd) : fd_(fd) {}
    ~fd_holder() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    fd_holder(fd_holder const&) = delete;
    fd_holder& operator=(fd_holder const&) = delete;
    fd_holder(fd_holder&&) = delete;
    fd_holder& operator=(fd_holder&&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    // Closes now, reporting a failure (a delayed write error shows up here).
    [[nodiscard]] bool close() noexcept {
        int const fd = fd_;
        fd_ = -1;
        return ::close(fd) == 0;
    }

private:
    int fd_;
};

bool write_all(int fd, std::string_view content) {
    while (!content.empty()) {
        auto const n = ::write(fd, content.data(), content.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        content.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

[[nodiscard]] std::expected<void, error> sync_dir(std::filesystem::path const& dir) {
    fd_holder fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
        return std::unexpected(io_failure("cannot sync the directory", dir));
    }
    return {};
}

} // namespace

error io_failure(std::string_view what, std::filesystem::path const& path) {
    return error{errc::io_error, fmt::format("{} {}: {}", what, path.string(), std::strerror(errno))};
}

std::expected<void, error> ensure_private_dir(std::filesystem::path const& dir) {
    std::error_code ec;
    if (dir.has_parent_path()) {
        std::filesystem::create_directories(dir.parent_path(), ec);
        if (ec) {
            return std::unexpected(
                error{errc::io_error, fmt::format("cannot create {}: {}", dir.parent_path().string(), ec.message())});
        }
    }
    if (::mkdir(dir.c_str(), private_dir) != 0 && errno != EEXIST) {
        return std::unexpected(io_failure("cannot create", dir));
    }
    return {};
}

std::expected<std::optional<std::string>, error> read_private(std::filesystem::path const& file) {
    fd_holder fd{::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
    if (fd.get() < 0) {
        if (errno == ENOENT) {
            return std::optional<std::string>{};
        }
        if (errno == ELOOP) {
            return std::unexpected(
                error{errc::keyring_unsafe, fmt::format("{} is a symbolic link: refused", file.string())});
        }
        return std::unexpected(io_failure("cannot open", file));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return std::unexpected(io_failure("cannot stat", file));
    }
    if (!S_ISREG(st.st_mode)) {
        return std::unexpected(error{errc::keyring_unsafe, fmt::format("{} is not a regular file", file.string())});
    }
    if (st.st_uid != ::geteuid()) {
        return std::unexpected(
            error{errc::keyring_unsafe, fmt::format("{} belongs to another user: refused", file.string())});
    }
    if ((st.st_mode & group_or_others) != 0) {
        return std::unexpected(error{
            errc::keyring_unsafe,
            fmt::format("{} has mode {:o}: group or others may read it; refused (chmod 600 it, and make new secrets "
                        "with `salonq keys rotate` if anyone else could have read them)",
                        file.string(), st.st_mode & 0777)});
    }
    std::string content;
    char buffer[4096];
    for (;;) {
        auto const n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return std::unexpected(io_failure("cannot read", file));
        }
        if (n == 0) {
            break;
        }
        content.append(buffer, static_cast<std::size_t>(n));
    }
    return std::optional<std::string>{std::move(content)};
}

std::expected<void, error> replace(std::filesystem::path const& file, std::string_view content) {
    auto const temp = std::filesystem::path{file.string() + fmt::format(".tmp-{}", ::getpid())};
    (void)::unlink(temp.c_str()); // a leftover of a crashed writer of this pid
    fd_holder fd{::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, private_file)};
    if (fd.get() < 0) {
        return std::unexpected(io_failure("cannot create", temp));
    }
    if (!write_all(fd.get(), content) || ::fsync(fd.get()) != 0 || !fd.close()) {
        auto failure = io_failure("cannot write", temp);
        (void)::unlink(temp.c_str());
        return std::unexpected(std::move(failure));
    }
    if (::rename(temp.c_str(), file.c_str()) != 0) {
        auto failure = io_failure("cannot rename onto", file);
        (void)::unlink(temp.c_str());
        return std::unexpected(std::move(failure));
    }
    return sync_dir(file.has_parent_path() ? file.parent_path() : std::filesystem::path{"."});
}

std::expected<void, error> append(std::filesystem::path const& file, std::string_view content) {
    fd_holder fd{::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, private_file)};
    if (fd.get() < 0) {
        return std::unexpected(io_failure("cannot open", file));
    }
    if (!write_all(fd.get(), content) || ::fsync(fd.get()) != 0 || !fd.close()) {
        return std::unexpected(io_failure("cannot append to", file));
    }
    return {};
}

std::expected<lock, error> lock::take(std::filesystem::path const& file) {
    int const fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, private_file);
    if (fd < 0) {
        return std::unexpected(io_failure("cannot open the lock file", file));
    }
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            auto failure = io_failure("cannot lock", file);
            ::close(fd);
            return std::unexpected(std::move(failure));
        }
    }
    return lock{fd};
}

lock::lock(lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

lock::~lock() {
    if (fd_ >= 0) {
        ::close(fd_); // releases the flock
    }
}

} // namespace salonq::api::auth::files
