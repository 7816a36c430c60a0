#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace salonq::logging {

enum class level : std::uint8_t { debug, info, warn, error };
enum class format : std::uint8_t {
    text, // "salonq <component> <instance>: <message>" and the context as key=value: for a person at a terminal
    json, // one JSON object per line (ts, level, component, msg, then the context): for a log shipper
};

[[nodiscard]] std::optional<level> parse_level(std::string_view s) noexcept;
[[nodiscard]] std::optional<format> parse_format(std::string_view s) noexcept;

// Process-wide settings: the least level written and the format. Set once at start (salonq's --log-level and
// --log-format, or SALONQ_LOG_LEVEL / SALONQ_LOG_FORMAT); lines go to stderr unless a test points them elsewhere.
void configure(level least, format f, std::FILE* out = stderr);

// One piece of context a line carries: salonId, commandId, partition, instance, ... Values are logged as given (an
// empty one is left out of the line): never put a secret (a password, a --kafka-property value) in one.
struct field {
    std::string key;
    std::string value;
    bool number = false; // written unquoted in JSON
};
[[nodiscard]] field kv(std::string key, std::string value);
[[nodiscard]] field kv(std::string key, std::int64_t value);

// A failure that repeats (a consumer retrying at every new event while its store is full, its reads between
// checkpoints succeeding): the first is said, then the same one at most once a minute with how many came since, so
// a retry per event cannot flood the log; another failure is said at once. Thread-safe.
class throttle {
public:
    using clock = std::chrono::steady_clock;
    explicit throttle(clock::duration every = std::chrono::minutes{1}) : every_(every) {}

    // Whether this failure (its message) is to be logged; if so, `silenced` is how many times it was not since.
    [[nodiscard]] bool due(std::string_view failure, std::uint64_t& silenced, clock::time_point now = clock::now());
    // ", N more since the last such line" for a due line that silenced N, else nothing.
    [[nodiscard]] static std::string since(std::uint64_t silenced);

private:
    clock::duration every_;
    std::mutex mutex_;
    std::string last_failure_;
    std::optional<clock::time_point> last_;
    std::uint64_t silenced_ = 0;
};

// A component's logger with the context every line of it carries (e.g. the worker's instance); with() adds
// more (a partition, a salon) for a narrower one. Cheap to copy; thread-safe (a line is one fwrite, under a lock).
// Why not spdlog: its Debian version (1.10) has no structured fields, which is what the JSON form is for.
class logger {
public:
    explicit logger(std::string component, std::vector<field> context = {});

    [[nodiscard]] logger with(std::initializer_list<field> more) const;
    [[nodiscard]] bool enabled(level l) const noexcept;

    template <typename... Args>
    void debug(fmt::format_string<Args...> f, Args&&... args) const {
        log(level::debug, {}, f, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void info(fmt::format_string<Args...> f, Args&&... args) const {
        log(level::info, {}, f, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void warn(fmt::format_string<Args...> f, Args&&... args) const {
        log(level::warn, {}, f, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void error(fmt::format_string<Args...> f, Args&&... args) const {
        log(level::error, {}, f, std::forward<Args>(args)...);
    }
    // A failure through a throttle: `message` (which tells of `failure`) when the throttle says it is due, with how
    // many of the same it silenced since.
    void throttled(level l, throttle& t, std::string_view failure, std::string const& message) const;
    // A line with fields of its own besides the logger's context.
    template <typename... Args>
    void log(level l, std::initializer_list<field> extra, fmt::format_string<Args...> f, Args&&... args) const {
        if (enabled(l)) {
            write(l, extra, fmt::format(f, std::forward<Args>(args)...));
        }
    }

private:
    void write(level l, std::initializer_list<field> extra, std::string const& message) const;

    std::string component_;
    std::vector<field> context_;
};

} // namespace salonq::logging
