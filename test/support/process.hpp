#pragma once

// Child processes for integration tests: spawn a program with its output in a file, kill it, wait for it.

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <optional>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace salonq::test {

// Starts argv[0] with the given file actions; the child's pid, or -1.
inline pid_t spawn(std::vector<std::string> const& argv, posix_spawn_file_actions_t const* actions) {
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (auto const& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawn(&pid, args[0], actions, nullptr, args.data(), environ) != 0) {
        return -1;
    }
    return pid;
}

class child_process {
public:
    // stdout goes to stdout_path; stderr too with merge_stderr (else it is the test's own stderr).
    child_process(std::vector<std::string> const& argv, std::string const& stdout_path, bool merge_stderr = false) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (merge_stderr) {
            posix_spawn_file_actions_adddup2(&actions, 1, 2);
        }
        pid_ = spawn(argv, &actions);
        posix_spawn_file_actions_destroy(&actions);
    }
    ~child_process() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            wait();
        }
    }
    child_process(child_process const&) = delete;
    child_process& operator=(child_process const&) = delete;

    [[nodiscard]] bool started() const noexcept { return pid_ > 0; }
    void kill(int sig = SIGKILL) const { ::kill(pid_, sig); }
    // Exit code, or 128 + signal number.
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    // True if the child has ended (and reaps it).
    bool finished(int& code) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            reaped_ = true;
            code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return true;
        }
        return false;
    }
    // Exit code if the child ends within `limit` (it is reaped), else nullopt (it keeps running): a test of a
    // program that must stop on its own fails instead of hanging until ctest's timeout.
    std::optional<int> wait_for(std::chrono::seconds limit) {
        auto const deadline = std::chrono::steady_clock::now() + limit;
        for (int code = 0;; std::this_thread::sleep_for(std::chrono::milliseconds{100})) {
            if (finished(code)) {
                return code;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                return std::nullopt;
            }
        }
    }

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
};

inline std::string salonq_binary() { return std::string{SALONQ_BINARY_DIR} + "/salonq"; }

// A fresh directory under the system temp dir, removed when the object goes.
class temp_dir {
public:
    temp_dir() {
        std::string templ =
            (std::getenv("TMPDIR") ? std::string{std::getenv("TMPDIR")} : std::string{"/tmp"}) + "/salonq-test-XXXXXX";
        path_ = ::mkdtemp(templ.data()) ? templ : std::string{};
    }
    ~temp_dir() {
        if (!path_.empty()) {
            std::string cmd = "rm -rf '" + path_ + "'";
            [[maybe_unused]] int rc = std::system(cmd.c_str());
        }
    }
    temp_dir(temp_dir const&) = delete;
    temp_dir& operator=(temp_dir const&) = delete;
    [[nodiscard]] std::string const& path() const noexcept { return path_; }
    [[nodiscard]] std::string operator/(std::string const& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

} // namespace salonq::test
