#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace salonq::engine::runtime {

// Where a projection's store lives when it can be rebuilt beside itself (runtime::rebuild). The first store is the
// directory `base` (<data>/views, <data>/stats, <data>/loyalty); a rebuild writes a new generation, `base`.N, and makes
// it current by writing its name to `base`.current (written to a temporary file, synced, renamed over): a crash leaves
// either the old generation or the new one current, never neither. Generations that are not current are leftovers (the
// old one after a rebuild, or a rebuild that crashed) and are removed when the projection opens.
class generations {
public:
    explicit generations(std::filesystem::path base) : base_(std::move(base)) {}

    // The directory to open: the one `base`.current names, or `base` itself when there is no `base`.current. A
    // pointer file that cannot be read or names no generation is an error (never taken for "no rebuild yet": the
    // other generations would then look like leftovers).
    [[nodiscard]] std::expected<std::filesystem::path, std::string> current() const;
    // A directory for a new generation: `base`.N, N one more than any there.
    [[nodiscard]] std::expected<std::filesystem::path, std::string> next() const;
    // Makes `dir` (one of next()'s) the current generation, durably.
    [[nodiscard]] std::expected<void, std::string> promote(std::filesystem::path const& dir) const;
    // Removes every generation but the current one; what it removed, for the log. Call it with the current one
    // open (its lock held), so no rebuild of another process is building one of them.
    [[nodiscard]] std::expected<std::vector<std::filesystem::path>, std::string> remove_others() const;

private:
    [[nodiscard]] std::filesystem::path pointer() const;
    [[nodiscard]] std::expected<std::vector<std::filesystem::path>, std::string> listed() const; // base.N dirs
    std::filesystem::path base_;
};

} // namespace salonq::engine::runtime
