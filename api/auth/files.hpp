#pragma once

#include "api/auth/errc.hpp"

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

// The file handling the keyring and the revocation list share: private directories and files, atomic
// replacement, an advisory lock. POSIX calls, so that modes are set at creation (no window where a secret is
// world-readable) and symbolic links are not followed.
namespace salonq::api::auth::files {

// Creates dir (and its parents); dir itself is made with mode 0700.
[[nodiscard]] std::expected<void, error> ensure_private_dir(std::filesystem::path const& dir);

// The content of a private file: nullopt when there is none; keyring_unsafe when it is not a regular file, another
// user owns it, or group or others have any permission on it.
[[nodiscard]] std::expected<std::optional<std::string>, error> read_private(std::filesystem::path const& file);

// Replaces file with content, atomically and durably (a new 0600 file beside it, fsync, rename, fsync of the
// directory).
[[nodiscard]] std::expected<void, error> replace(std::filesystem::path const& file, std::string_view content);

// Appends content with one write(2) to a 0600 file (created if missing), then fsyncs it.
[[nodiscard]] std::expected<void, error> append(std::filesystem::path const& file, std::string_view content);

// An exclusive flock(2) of a lock file (created 0600 if missing), held while the object lives: the writers of the
// keyring (or of the revocation list) in any process take turns.
class lock {
public:
    [[nodiscard]] static std::expected<lock, error> take(std::filesystem::path const& file);
    ~lock();
    lock(lock&& other) noexcept;
    lock& operator=(lock&&) = delete;
    lock(lock const&) = delete;
    lock& operator=(lock const&) = delete;

private:
    explicit lock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

// "<what> <path>: <strerror(errno)>" as an io_error.
[[nodiscard]] error io_failure(std::string_view what, std::filesystem::path const& path);

} // namespace salonq::api::auth::files
