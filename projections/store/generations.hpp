#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace salonq::projections {

// Where a projection's store lives when it can be rebuilt beside itself. The first store is the directory `base`
// (e.g. <data>/views); a rebuild writes a new generation, `base`.N, and makes it current by writing its name to
// `base`.current (written to a temporary file, synced, renamed over): a crash leaves either the old generation or
// the new one current, never neither. Generations that are not current are leftovers (the old one after a
// rebuild, or a rebuild that crashed) and are removed when the projection opens.
class generations {
public:
    explicit generations(std::filesystem::path base) : base_(std::move(base)) {}

    // The directory to open: the one `base`.current names, or `base` itself.
    [[nodiscard]] std::filesystem::path current() const;
    // A directory for a new generation: `base`.N, N one more than any there.
    [[nodiscard]] std::filesystem::path next() const;
    // Makes `dir` (one of next()'s) the current generation, durably.
    [[nodiscard]] std::expected<void, std::string> promote(std::filesystem::path const& dir) const;
    // Removes every generation but the current one; what it removed, for the log.
    std::vector<std::filesystem::path> remove_others() const;

private:
    [[nodiscard]] std::filesystem::path pointer() const;
    std::filesystem::path base_;
};

} // namespace salonq::projections
