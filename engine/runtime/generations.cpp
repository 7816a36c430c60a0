#include "engine/runtime/generations.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace salonq::engine::runtime {
namespace {

namespace fs = std::filesystem;

// N of a generation's name `base`.N, if `name` is one.
std::optional<unsigned> generation_number(std::string const& base_name, std::string const& name) {
    if (!name.starts_with(base_name + ".")) {
        return std::nullopt;
    }
    auto const digits = std::string_view{name}.substr(base_name.size() + 1);
    unsigned n = 0;
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return n;
}

[[nodiscard]] std::expected<void, std::string> sync_path(fs::path const& path, int flags) {
    int const fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) {
        return std::unexpected(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
    }
    int const synced = ::fsync(fd);
    int const saved = errno;
    ::close(fd);
    if (synced != 0) {
        return std::unexpected(fmt::format("cannot sync {}: {}", path.string(), std::strerror(saved)));
    }
    return {};
}

} // namespace

fs::path generations::pointer() const { return fs::path{base_.string() + ".current"}; }

std::expected<fs::path, std::string> generations::current() const {
    std::error_code ec;
    if (!fs::exists(pointer(), ec) && !ec) {
        return base_;
    }
    std::ifstream in{pointer()};
    std::string name;
    if (!in || !std::getline(in, name) || !generation_number(base_.filename().string(), name)) {
        return std::unexpected(fmt::format("{} names no generation of {} (expected {}.N)", pointer().string(),
                                           base_.filename().string(), base_.filename().string()));
    }
    return base_.parent_path() / name;
}

std::expected<std::vector<fs::path>, std::string> generations::listed() const {
    std::vector<fs::path> found;
    std::error_code ec;
    fs::directory_iterator it{base_.parent_path(), ec};
    for (; !ec && it != fs::directory_iterator{}; it.increment(ec)) {
        if (generation_number(base_.filename().string(), it->path().filename().string())) {
            found.push_back(it->path());
        }
    }
    if (ec) {
        return std::unexpected(fmt::format("cannot list {}: {}", base_.parent_path().string(), ec.message()));
    }
    return found;
}

std::expected<fs::path, std::string> generations::next() const {
    auto const found = listed();
    if (!found) {
        return std::unexpected(found.error());
    }
    unsigned highest = 0;
    for (auto const& dir : *found) {
        highest = std::max(highest, generation_number(base_.filename().string(), dir.filename().string()).value_or(0));
    }
    return fs::path{fmt::format("{}.{}", base_.string(), highest + 1)};
}

std::expected<void, std::string> generations::promote(fs::path const& dir) const {
    auto const temporary = fs::path{pointer().string() + ".tmp"};
    {
        std::ofstream out{temporary, std::ios::trunc};
        out << dir.filename().string() << "\n";
        out.flush();
        if (!out) {
            return std::unexpected(fmt::format("cannot write {}", temporary.string()));
        }
    }
    if (auto synced = sync_path(temporary, O_RDONLY); !synced) {
        return synced;
    }
    std::error_code ec;
    fs::rename(temporary, pointer(), ec);
    if (ec) {
        return std::unexpected(fmt::format("cannot rename {}: {}", temporary.string(), ec.message()));
    }
    return sync_path(base_.parent_path(), O_RDONLY | O_DIRECTORY);
}

std::expected<std::vector<fs::path>, std::string> generations::remove_others() const {
    auto const keep = current();
    auto candidates = listed();
    if (!keep || !candidates) {
        return std::unexpected(keep ? candidates.error() : keep.error());
    }
    candidates->push_back(base_);
    std::vector<fs::path> removed;
    for (auto const& dir : *candidates) {
        std::error_code ec;
        if (dir != *keep && fs::exists(dir, ec) && fs::remove_all(dir, ec) > 0 && !ec) {
            removed.push_back(dir);
        }
    }
    return removed;
}

} // namespace salonq::engine::runtime
