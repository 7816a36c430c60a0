#pragma once

// A child process the test talks to over pipes: write lines to its stdin, read lines from its stdout with a
// timeout (a test of something that must answer promptly fails instead of hanging), close its stdin, wait for it.
// Its stderr is the test's own, or a file (appended to) when one is named.

#include "test/support/process.hpp"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace salonq::test {

class piped_process {
public:
    explicit piped_process(std::vector<std::string> const& argv, std::string const& stderr_to = {}) {
        std::signal(SIGPIPE, SIG_IGN); // a child that died makes write() fail instead of killing the test
        int in[2] = {-1, -1};
        int out[2] = {-1, -1};
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
            return;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        if (!stderr_to.empty()) {
            posix_spawn_file_actions_addopen(&actions, 2, stderr_to.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        }
        pid_ = spawn(argv, &actions);
        posix_spawn_file_actions_destroy(&actions);
        ::close(in[0]);
        ::close(out[1]);
        stdin_ = in[1];
        stdout_ = out[0];
    }
    ~piped_process() {
        close_stdin();
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            (void)wait();
        }
        if (stdout_ >= 0) {
            ::close(stdout_);
        }
    }
    piped_process(piped_process const&) = delete;
    piped_process& operator=(piped_process const&) = delete;

    [[nodiscard]] bool started() const noexcept { return pid_ > 0; }
    void kill(int sig) const { ::kill(pid_, sig); }

    // Writes text (a line needs its own '\n'); false if the child's stdin is gone.
    bool write(std::string const& text) {
        std::size_t done = 0;
        while (done < text.size()) {
            auto const n = ::write(stdin_, text.data() + done, text.size() - done);
            if (n <= 0) {
                return false;
            }
            done += static_cast<std::size_t>(n);
        }
        return true;
    }
    void close_stdin() {
        if (stdin_ >= 0) {
            ::close(stdin_);
            stdin_ = -1;
        }
    }

    // The next line of the child's stdout (without '\n'), or nothing if none is complete within `limit` (or the
    // output ended).
    std::optional<std::string> read_line(std::chrono::milliseconds limit) {
        auto const deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            if (auto const nl = buffer_.find('\n'); nl != std::string::npos) {
                auto line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return line;
            }
            auto const left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pollfd p{stdout_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                return std::nullopt;
            }
            char chunk[4096];
            auto const n = ::read(stdout_, chunk, sizeof chunk);
            if (n <= 0) {
                return std::nullopt;
            }
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    // Exit code, or 128 + signal number.
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
    int stdin_ = -1;
    int stdout_ = -1;
    std::string buffer_;
};

} // namespace salonq::test
