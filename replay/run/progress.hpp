#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace salonq::replay {

// How far a replay has come, on stderr: a bar redrawn in place on a terminal, a plain line every few seconds
// otherwise (a log file or CI), and a summary at the end. Cheap to tick per entry: the clock is read once every
// few thousand.
class progress {
public:
    enum class style { bar, lines, quiet };

    // total: the entries the replay will read; 0 when that is not known ahead (then counts only).
    // label: what the lines start with ("replay", "rebuild views").
    progress(style how, std::uint64_t total, std::FILE* out = stderr, std::string label = "replay");
    // The style for stderr: a bar on a terminal, lines otherwise, nothing with quiet.
    [[nodiscard]] static style for_stderr(bool quiet);

    void tick(std::uint64_t read) {
        read_ = read;
        if ((read & 0x1FFFU) == 0) {
            maybe_show();
        }
    }
    // For readers that know their progress in chunks (and the total only once started): shown when due.
    void update(std::uint64_t read, std::uint64_t total) {
        read_ = read;
        total_ = total;
        maybe_show();
    }
    // The summary line: entries read and written (`outcome`: "written", or "folded" for a report, whose rows are
    // not entries), time, rate.
    void done(std::uint64_t written, std::string_view outcome = "written");

private:
    void maybe_show();
    void show(bool final);

    style style_;
    std::uint64_t total_;
    std::uint64_t read_ = 0;
    std::FILE* out_;
    std::string label_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point shown_;
};

} // namespace salonq::replay
