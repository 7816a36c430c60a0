#include "engine/logging/logger.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>
#include <utility>

namespace salonq::logging {
namespace {

struct settings {
    std::atomic<level> least{level::info};
    std::atomic<format> form{format::text};
    std::atomic<std::FILE*> out{stderr};
    std::mutex writing;
};

settings& global() {
    static settings s;
    return s;
}

constexpr std::array<std::string_view, 4> level_names{"debug", "info", "warn", "error"};

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else if (c < 0x20) {
            out += fmt::format("\\u{:04x}", c);
        } else {
            out.push_back(ch);
        }
    }
    out.push_back('"');
}

std::string utc_now() {
    auto const ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    auto const seconds = static_cast<std::time_t>(ms / 1000);
    std::tm t{};
    ::gmtime_r(&seconds, &t);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                       t.tm_hour, t.tm_min, t.tm_sec, ms % 1000);
}

std::string json_line(level l, std::string_view component, std::vector<field> const& context,
                      std::initializer_list<field> extra, std::string const& message) {
    std::string out = "{\"ts\":\"" + utc_now() + "\",\"level\":\"" + std::string{level_names[static_cast<int>(l)]} +
                      "\",\"component\":";
    append_json_string(out, component);
    out += ",\"msg\":";
    append_json_string(out, message);
    auto add = [&](field const& f) {
        if (f.value.empty()) {
            return; // a field with no value (a request without a salon) is left out, not written as ""
        }
        out.push_back(',');
        append_json_string(out, f.key);
        out.push_back(':');
        if (f.number) {
            out += f.value;
        } else {
            append_json_string(out, f.value);
        }
    };
    for (auto const& f : context) {
        add(f);
    }
    for (auto const& f : extra) {
        add(f);
    }
    out += "}\n";
    return out;
}

// "salonq engine w1: message (partition=3)": the instance (when there is one) names the process, as before.
std::string text_line(level l, std::string_view component, std::vector<field> const& context,
                      std::initializer_list<field> extra, std::string const& message) {
    std::string out = "salonq " + std::string{component};
    std::string rest;
    for (auto const& f : context) {
        if (f.key == "instance") {
            out += " " + f.value;
        } else {
            rest += (rest.empty() ? "" : " ") + f.key + "=" + f.value;
        }
    }
    for (auto const& f : extra) {
        if (!f.value.empty()) {
            rest += (rest.empty() ? "" : " ") + f.key + "=" + f.value;
        }
    }
    out += ": ";
    if (l == level::warn) {
        out += "warning: ";
    } else if (l == level::error) {
        out += "error: ";
    }
    out += message;
    if (!rest.empty()) {
        out += " (" + rest + ")";
    }
    out.push_back('\n');
    return out;
}

} // namespace

std::optional<level> parse_level(std::string_view s) noexcept {
    for (std::size_t i = 0; i < level_names.size(); ++i) {
        if (level_names[i] == s) {
            return static_cast<level>(i);
        }
    }
    return std::nullopt;
}

std::optional<format> parse_format(std::string_view s) noexcept {
    if (s == "text") {
        return format::text;
    }
    if (s == "json") {
        return format::json;
    }
    return std::nullopt;
}

void configure(level least, format f, std::FILE* out) {
    global().least.store(least);
    global().form.store(f);
    global().out.store(out);
}

field kv(std::string key, std::string value) { return field{std::move(key), std::move(value), false}; }
field kv(std::string key, std::int64_t value) { return field{std::move(key), std::to_string(value), true}; }

logger::logger(std::string component, std::vector<field> context)
    : component_(std::move(component)), context_(std::move(context)) {}

logger logger::with(std::initializer_list<field> more) const {
    auto copy = *this;
    copy.context_.insert(copy.context_.end(), more.begin(), more.end());
    return copy;
}

bool logger::enabled(level l) const noexcept { return l >= global().least.load(std::memory_order_relaxed); }

void logger::write(level l, std::initializer_list<field> extra, std::string const& message) const {
    auto& g = global();
    auto const line = g.form.load() == format::json ? json_line(l, component_, context_, extra, message)
                                                    : text_line(l, component_, context_, extra, message);
    std::lock_guard lock{g.writing};
    auto* out = g.out.load();
    std::fwrite(line.data(), 1, line.size(), out);
    std::fflush(out);
}

bool throttle::due(std::string_view failure, std::uint64_t& silenced, clock::time_point now) {
    std::lock_guard lock{mutex_};
    if (last_ && now - *last_ < every_ && failure == last_failure_) {
        ++silenced_;
        return false;
    }
    silenced = failure == last_failure_ ? std::exchange(silenced_, 0) : 0;
    if (failure != last_failure_) {
        silenced_ = 0;
        last_failure_ = failure;
    }
    last_ = now;
    return true;
}

std::string throttle::since(std::uint64_t silenced) {
    return silenced == 0 ? std::string{} : fmt::format(", {} more since the last such line", silenced);
}

void logger::throttled(level l, throttle& t, std::string_view failure, std::string const& message) const {
    if (std::uint64_t silenced = 0; enabled(l) && t.due(failure, silenced)) {
        write(l, {}, message + throttle::since(silenced));
    }
}

} // namespace salonq::logging
