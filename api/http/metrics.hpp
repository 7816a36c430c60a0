#pragma once

// The server's counters in Prometheus' text format (GET /metrics): requests by route, method and status, latency
// histograms by route, commands decided by type and outcome (with the rejection code), open connections, and
// gauges that other parts register (projection lag, live streams). Thread-safe; a request costs one short
// critical section and a few atomic adds.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace salonq::api::http {

class metrics {
public:
    // Upper bounds of the latency histogram, in seconds.
    static constexpr std::array<double, 12> buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

    void request_done(std::string_view route, std::string_view method, int status, std::chrono::microseconds took);
    // A decided command (not a repeat): `reason` is the rejection code, empty when accepted.
    void command_decided(std::string_view type, std::string_view reason);
    // A value read when /metrics is scraped (e.g. open connections).
    void gauge(std::string name, std::string help, std::function<double()> read);
    // A count kept elsewhere (e.g. by a consumer's own atomics), read when scraped; it only goes up.
    void counter(std::string name, std::string help, std::function<double()> read);

    [[nodiscard]] std::string render() const;

private:
    struct histogram {
        std::array<std::uint64_t, buckets.size()> counts{}; // per bucket, not cumulative
        std::uint64_t count = 0;
        double sum = 0;
    };
    struct gauge_def {
        std::string name;
        std::string help;
        std::function<double()> read;
        std::string_view type = "gauge";
    };

    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_; // route, method, status
    std::map<std::string, histogram> latency_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> commands_; // type, reason
    std::vector<gauge_def> gauges_;
};

} // namespace salonq::api::http
