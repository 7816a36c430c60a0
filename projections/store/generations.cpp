#include "projections/store/generations.hpp"

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

namespace salonq::projections {
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

std::expected<void, std::string> sync_path(fs::path const& path, int flags) {
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

fs::path generations::current() const {
    std::ifstream in{pointer()};
    std::string name;
    if (in && std::getline(in, name) && generation_number(base_.filename().string(), name)) {
        return base_.parent_path() / name;
    }
    return base_;
}

fs::path generations::next() const {
    unsigned highest = 0;
    std::error_code ec;
    for (auto const& entry : fs::directory_iterator{base_.parent_path(), ec}) {
        if (auto n = generation_number(base_.filename().string(), entry.path().filename().string())) {
            highest = std::max(highest, *n);
        }
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

std::vector<fs::path> generations::remove_others() const {
    auto const keep = current();
    std::vector<fs::path> removed;
    std::vector<fs::path> candidates{base_};
    std::error_code ec;
    for (auto const& entry : fs::directory_iterator{base_.parent_path(), ec}) {
        if (generation_number(base_.filename().string(), entry.path().filename().string())) {
            candidates.push_back(entry.path());
        }
    }
    for (auto const& dir : candidates) {
        if (dir != keep && fs::exists(dir, ec) && fs::remove_all(dir, ec) > 0 && !ec) {
            removed.push_back(dir);
        }
    }
    return removed;
}

} // namespace salonq::projections
