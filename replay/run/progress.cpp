#include "replay/run/progress.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>

namespace salonq::replay {
namespace {

constexpr auto bar_every = std::chrono::milliseconds{200};
constexpr auto line_every = std::chrono::seconds{5};
constexpr int bar_width = 30;

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

progress::progress(style how, std::uint64_t total, std::FILE* out, std::string label)
    : style_(how), total_(total), out_(out), label_(std::move(label)), started_(std::chrono::steady_clock::now()),
      shown_(started_) {}

progress::style progress::for_stderr(bool quiet) {
    if (quiet) {
        return style::quiet;
    }
    return ::isatty(STDERR_FILENO) != 0 ? style::bar : style::lines;
}

void progress::maybe_show() {
    if (style_ == style::quiet) {
        return;
    }
    auto const now = std::chrono::steady_clock::now();
    if (now - shown_ >= (style_ == style::bar ? std::chrono::duration_cast<std::chrono::milliseconds>(bar_every)
                                              : std::chrono::duration_cast<std::chrono::milliseconds>(line_every))) {
        shown_ = now;
        show(false);
    }
}

void progress::show(bool final) {
    if (total_ == 0) { // the end is not known ahead (Kafka): counts only
        auto const elapsed = seconds_since(started_);
        fmt::print(out_, "{}{}: {} entries ({:.0f}/s){}", style_ == style::bar ? "\r" : "", label_, read_,
                   elapsed > 0 ? static_cast<double>(read_) / elapsed : 0.0,
                   style_ == style::bar && !final ? "" : "\n");
        std::fflush(out_);
        return;
    }
    auto const fraction = total_ == 0 ? 1.0 : std::min(1.0, static_cast<double>(read_) / static_cast<double>(total_));
    auto const elapsed = seconds_since(started_);
    auto const rate = elapsed > 0 ? static_cast<double>(read_) / elapsed : 0.0;
    if (style_ == style::bar) {
        auto const filled = static_cast<int>(fraction * bar_width);
        fmt::print(out_, "\r{} [{:#<{}}{:<{}}] {:3.0f}%  {} of {} entries  {:.0f}/s{}", label_, "", filled, "",
                   bar_width - filled, fraction * 100, read_, total_, rate, final ? "\n" : "");
    } else {
        fmt::print(out_, "{}: {:.0f}% ({} of {} entries, {:.0f}/s)\n", label_, fraction * 100, read_, total_, rate);
    }
    std::fflush(out_);
}

void progress::done(std::uint64_t written, std::string_view outcome) {
    if (style_ == style::quiet) {
        return;
    }
    if (style_ == style::bar) {
        show(true);
    }
    auto const elapsed = seconds_since(started_);
    fmt::print(out_, "{}: {} entries read, {} {} in {:.2f} s ({:.0f} entries/s)\n", label_, read_, written, outcome,
               elapsed, elapsed > 0 ? static_cast<double>(read_) / elapsed : 0.0);
    std::fflush(out_);
}

} // namespace salonq::replay
