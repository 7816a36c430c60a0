#include "api/auth/revocation.hpp"

#include "api/auth/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <vector>

namespace salonq::api::auth {
namespace {

constexpr std::size_t longest_jti = 128;

struct entry {
    std::string jti;
    std::int64_t until = 0;
};

// "jti seconds": nullopt for anything else (a line torn by a crash, say).
std::optional<entry> parse_line(std::string_view line) {
    auto const space = line.find(' ');
    if (space == std::string_view::npos) {
        return std::nullopt;
    }
    auto const jti = line.substr(0, space);
    auto const number = line.substr(space + 1);
    std::int64_t until = 0;
    auto const [end, ec] = std::from_chars(number.data(), number.data() + number.size(), until);
    if (ec != std::errc{} || end != number.data() + number.size() || !valid_jti(jti)) {
        return std::nullopt;
    }
    return entry{std::string{jti}, until};
}

// Every complete line of text; the unfinished tail is left in text.
std::vector<entry> take_lines(std::string& text) {
    std::vector<entry> out;
    std::size_t start = 0;
    for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
        if (auto e = parse_line(std::string_view{text}.substr(start, nl - start))) {
            out.push_back(std::move(*e));
        }
        start = nl + 1;
    }
    text.erase(0, start);
    return out;
}

std::string line_of(std::string_view jti, std::int64_t until) { return fmt::format("{} {}\n", jti, until); }

} // namespace

bool valid_jti(std::string_view jti) noexcept {
    return !jti.empty() && jti.size() <= longest_jti &&
           std::ranges::all_of(jti, [](char c) { return c > ' ' && c < 0x7f; });
}

std::filesystem::path default_revocations_path(std::filesystem::path const& data_dir) {
    return data_dir / "auth" / "revoked";
}

std::expected<std::unique_ptr<file_revocations>, error> file_revocations::open(std::filesystem::path file) {
    std::unique_ptr<file_revocations> list{new file_revocations{std::move(file)}};
    if (auto read = list->refresh(); !read) {
        return std::unexpected(std::move(read.error()));
    }
    return list;
}

bool file_revocations::revoked(std::string_view jti) const {
    std::shared_lock lock{mutex_};
    return entries_.find(jti) != entries_.end();
}

std::size_t file_revocations::size() const {
    std::shared_lock lock{mutex_};
    return entries_.size();
}

std::expected<void, error> file_revocations::refresh() {
    std::lock_guard refreshing{refresh_mutex_};
    int const fd = ::open(file_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) {
            return std::unexpected(files::io_failure("cannot open", file_));
        }
        // No file (yet, or removed by hand): no revocations.
        std::unique_lock lock{mutex_};
        entries_.clear();
        inode_ = 0;
        read_up_to_ = 0;
        partial_.clear();
        return {};
    }
    struct stat st {};
    bool const stat_ok = ::fstat(fd, &st) == 0;
    auto const size = static_cast<std::uint64_t>(st.st_size);
    bool const replaced = stat_ok && (st.st_ino != inode_ || size < read_up_to_);
    std::string text;
    auto from = replaced ? std::uint64_t{0} : read_up_to_;
    bool read_ok = stat_ok;
    while (read_ok && from < size) {
        char buffer[4096];
        auto const n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(from));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            read_ok = n == 0; // shrank meanwhile: the next refresh sees the new file
            break;
        }
        text.append(buffer, static_cast<std::size_t>(n));
        from += static_cast<std::uint64_t>(n);
    }
    if (!read_ok) {
        auto failure = files::io_failure("cannot read", file_);
        ::close(fd);
        return std::unexpected(std::move(failure));
    }
    ::close(fd);
    if (replaced) {
        partial_.clear();
    }
    partial_ += text;
    auto fresh = take_lines(partial_);
    std::unique_lock lock{mutex_};
    if (replaced) {
        entries_.clear();
    }
    for (auto& e : fresh) {
        entries_.insert_or_assign(std::move(e.jti), e.until);
    }
    inode_ = st.st_ino;
    read_up_to_ = from;
    return {};
}

std::expected<void, error> file_revocations::revoke(std::string_view jti, std::chrono::sys_seconds until,
                                                    std::chrono::sys_seconds now) {
    if (!valid_jti(jti)) {
        return std::unexpected(
            error{errc::invalid_request, "a jti is 1 to 128 printable ASCII characters without spaces"});
    }
    auto const dir = file_.has_parent_path() ? file_.parent_path() : std::filesystem::path{"."};
    if (auto made = files::ensure_private_dir(dir); !made) {
        return std::unexpected(std::move(made.error()));
    }
    auto held = files::lock::take(file_.string() + ".lock");
    if (!held) {
        return std::unexpected(std::move(held.error()));
    }
    auto content = files::read_private(file_);
    if (!content) {
        return std::unexpected(std::move(content.error()));
    }
    std::string text = content->value_or(std::string{});
    bool const torn_tail = !text.empty() && text.back() != '\n';
    auto kept = take_lines(text);
    auto const expired =
        std::ranges::count_if(kept, [&](entry const& e) { return e.until < now.time_since_epoch().count(); });
    auto const line = line_of(jti, until.time_since_epoch().count());
    std::expected<void, error> written;
    if (expired > 0) {
        std::string rewritten;
        for (auto const& e : kept) {
            if (e.until >= now.time_since_epoch().count()) {
                rewritten += line_of(e.jti, e.until);
            }
        }
        written = files::replace(file_, rewritten + line);
    } else {
        written = files::append(file_, torn_tail ? "\n" + line : line); // a torn line stays apart from this one
    }
    if (!written) {
        return written;
    }
    std::unique_lock lock{mutex_};
    entries_.insert_or_assign(std::string{jti}, until.time_since_epoch().count());
    return {};
}

} // namespace salonq::api::auth
