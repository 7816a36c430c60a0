#pragma once

// The projections of Kafka mode's api role that are folded from salonq.events alone, beside the queue views: the
// stats (<data>/stats, with the staffing advisor over them) and the loyalty ledger (<data>/loyalty). Each folds
// through its own engine::kafka::topic_log_reader (every partition, read_committed, no consumer group) from the
// offsets stored with its data, exactly as in embedded mode (stats_wiring, loyalty_wiring), so any api instance
// answers for any salon and a restart resumes where the stores stopped. No engine commits here: the consumers poll,
// and wake() (the views' changes) brings them on at once.
//
// Lifetime: start() once; stop() before the server goes (the advisor answers what waits); the readers go after the
// consumers. wake(), lag() and problem() may be called from any thread, also after stop().

#include "api/http/metrics.hpp"
#include "api/serve/loyalty_wiring.hpp"
#include "api/serve/stats_wiring.hpp"
#include "engine/kafka/settings.hpp"
#include "engine/kafka/topic_log_reader.hpp"

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace salonq::api {

// A reader of every partition of salonq.events for `whose` fold ("stats", ...: named in its errors), which must
// have partition_count partitions.
[[nodiscard]] std::expected<std::unique_ptr<engine::kafka::topic_log_reader>, std::string>
events_reader(engine::kafka::settings const& kafka, std::int32_t partition_count, char const* whose);

class kafka_folds {
public:
    kafka_folds() = default;
    ~kafka_folds();
    kafka_folds(kafka_folds const&) = delete;
    kafka_folds& operator=(kafka_folds const&) = delete;

    // Opens the readers and the stores; the stats catch up before this returns (the first answers hold the log),
    // the loyalty ledger on its consumer's thread.
    [[nodiscard]] std::expected<void, std::string> start(std::filesystem::path const& data,
                                                         engine::kafka::settings const& kafka,
                                                         std::int32_t partition_count,
                                                         std::shared_ptr<projections::join_board> joins);
    void wake();
    void stop();

    [[nodiscard]] projections::stats_store::stats_store* stats() noexcept { return stats_.store(); }
    [[nodiscard]] staffing_advisor* staffing() noexcept { return stats_.staffing(); }
    [[nodiscard]] loyalty::loyalty_store* loyalty() noexcept { return loyalty_.store(); }

    // Records of salonq.events not yet folded, as the fold's reader last learned the partitions' ends (markers and
    // aborted records after the last record do not count); -1 before it has learned every partition's.
    [[nodiscard]] std::int64_t stats_lag();
    [[nodiscard]] std::int64_t loyalty_lag();
    // Why the stats or the ledger may not be current (a lag unknown or beyond max_lag); none when fine.
    [[nodiscard]] std::optional<std::string> problem(std::int64_t max_lag);
    // salonq_stats_lag_events, salonq_loyalty_lag_events and the records each has read since start.
    void add_metrics(http::metrics& metrics);

private:
    std::unique_ptr<engine::kafka::topic_log_reader> stats_events_;
    std::unique_ptr<engine::kafka::topic_log_reader> loyalty_events_;
    stats_wiring stats_;     // over stats_events_: stopped before it goes
    loyalty_wiring loyalty_; // over loyalty_events_: likewise
};

} // namespace salonq::api
