#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <initializer_list>
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
