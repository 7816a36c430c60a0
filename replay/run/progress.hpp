#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace salonq::replay {

// How far a replay has come, on stderr: a bar redrawn in place on a terminal, a plain line every few seconds
// otherwise (a log file or CI), and a summary at the end. Cheap to tick per entry: the clock is read once every
// few thousand.
class progress {
public:
    enum class style { bar, lines, quiet };

    // total: the entries the replay will read; 0 when that is not known ahead (then counts only).
    progress(style how, std::uint64_t total, std::FILE* out = stderr);
    // The style for stderr: a bar on a terminal, lines otherwise, nothing with quiet.
    [[nodiscard]] static style for_stderr(bool quiet);

    void tick(std::uint64_t read) {
        read_ = read;
        if ((read & 0x1FFFU) == 0) {
            maybe_show();
        }
    }
    // The summary line: entries read and written, time, rate.
    void done(std::uint64_t written);

private:
    void maybe_show();
    void show(bool final);

    style style_;
    std::uint64_t total_;
    std::uint64_t read_ = 0;
    std::FILE* out_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point shown_;
};

} // namespace salonq::replay
