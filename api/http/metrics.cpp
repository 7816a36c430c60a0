#include "api/http/metrics.hpp"

#include <fmt/format.h>

#include <iterator>

namespace salonq::api::http {
namespace {

// A label value escaped as the text format wants (backslash, quote, newline).
std::string label(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

} // namespace

void metrics::request_done(std::string_view route, std::string_view method, int status_code,
                           std::chrono::microseconds took) {
    auto const seconds = std::chrono::duration<double>(took).count();
    std::lock_guard lock(mutex_);
    ++requests_[{std::string{route}, std::string{method}, status_code}];
    auto& h = latency_[std::string{route}];
    std::size_t b = 0;
    while (b < buckets.size() && seconds > buckets[b]) {
        ++b;
    }
    if (b < buckets.size()) {
        ++h.counts[b];
    }
    ++h.count;
    h.sum += seconds;
}

void metrics::command_decided(std::string_view type, std::string_view reason) {
    std::lock_guard lock(mutex_);
    ++commands_[{std::string{type}, std::string{reason}}];
}

void metrics::gauge(std::string name, std::string help, std::function<double()> read) {
    std::lock_guard lock(mutex_);
    gauges_.push_back({std::move(name), std::move(help), std::move(read)});
}

void metrics::counter(std::string name, std::string help, std::function<double()> read) {
    std::lock_guard lock(mutex_);
    gauges_.push_back({std::move(name), std::move(help), std::move(read), "counter"});
}

std::string metrics::render() const {
    std::vector<gauge_def> gauges;
    std::string out;
    auto it = std::back_inserter(out);
    {
        std::lock_guard lock(mutex_);
        gauges = gauges_;
        fmt::format_to(it, "# HELP salonq_http_requests_total HTTP requests answered, by route, method and status.\n"
                           "# TYPE salonq_http_requests_total counter\n");
        for (auto const& [key, n] : requests_) {
            auto const& [route, method, status_code] = key;
            fmt::format_to(it, "salonq_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                           label(route), label(method), status_code, n);
        }
        fmt::format_to(it, "# HELP salonq_http_request_duration_seconds Time from a request's first byte to its "
                           "answer, by route.\n"
                           "# TYPE salonq_http_request_duration_seconds histogram\n");
        for (auto const& [route, h] : latency_) {
            std::uint64_t cumulative = 0;
            for (std::size_t b = 0; b < buckets.size(); ++b) {
                cumulative += h.counts[b];
                fmt::format_to(it, "salonq_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                               label(route), buckets[b], cumulative);
            }
            fmt::format_to(it, "salonq_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                           label(route), h.count);
            fmt::format_to(it, "salonq_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label(route), h.sum);
            fmt::format_to(it, "salonq_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label(route),
                           h.count);
        }
        fmt::format_to(it, "# HELP salonq_commands_total Commands decided through the API, by type and outcome "
                           "(reason: the rejection code).\n"
                           "# TYPE salonq_commands_total counter\n");
        for (auto const& [key, n] : commands_) {
            auto const& [type, reason] = key;
            fmt::format_to(it, "salonq_commands_total{{type=\"{}\",outcome=\"{}\",reason=\"{}\"}} {}\n", label(type),
                           reason.empty() ? "accepted" : "rejected", label(reason), n);
        }
    }
    for (auto const& g : gauges) { // read outside the lock: a gauge may take locks of its own
        fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n{} {}\n", g.name, g.help, g.name, g.type, g.name, g.read());
    }
    return out;
}

} // namespace salonq::api::http
