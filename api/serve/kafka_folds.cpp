#include "api/serve/kafka_folds.hpp"

#include "api/serve/wiring.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace salonq::api {

std::expected<std::unique_ptr<engine::kafka::topic_log_reader>, std::string>
events_reader(engine::kafka::settings const& kafka, std::int32_t partition_count, char const* whose) {
    auto reader = engine::kafka::topic_log_reader::open(kafka, engine::kafka::events_topic);
    if (!reader) {
        return std::unexpected(fmt::format("the {}' reader of salonq.events: {}", whose, reader.error().message));
    }
    if ((*reader)->partition_count() != partition_count) {
        return std::unexpected(fmt::format("the {}' reader of salonq.events: {} partitions, the views have {}", whose,
                                           (*reader)->partition_count(), partition_count));
    }
    return std::move(*reader);
}

namespace {

// Events of the log beyond each partition's next offset, by the reader's last learned ends; -1 if one is unknown.
template <typename Next>
[[nodiscard]] std::int64_t lag_of(engine::kafka::topic_log_reader const* reader, Next const& next) {
    if (reader == nullptr) {
        return -1;
    }
    auto const ends = reader->end_offsets();
    std::int64_t lag = 0;
    for (std::size_t p = 0; p < ends.size(); ++p) {
        if (ends[p] < 0) {
            return -1;
        }
        lag += std::max<std::int64_t>(0, ends[p] - next(engine::partition_id{static_cast<std::int32_t>(p)}).value());
    }
    return lag;
}

} // namespace

kafka_folds::~kafka_folds() { stop(); }

std::expected<void, std::string> kafka_folds::start(std::filesystem::path const& data,
                                                    engine::kafka::settings const& kafka, std::int32_t partition_count,
                                                    std::shared_ptr<projections::join_board> joins) {
    auto stats_reader = events_reader(kafka, partition_count, "stats");
    if (!stats_reader) {
        return std::unexpected(stats_reader.error());
    }
    stats_events_ = std::move(*stats_reader);
    auto loyalty_reader = events_reader(kafka, partition_count, "loyalty ledger");
    if (!loyalty_reader) {
        return std::unexpected(loyalty_reader.error());
    }
    loyalty_events_ = std::move(*loyalty_reader);
    if (auto started =
            stats_.start(data / "stats", *stats_events_, partition_count, engine::wall_now, std::move(joins));
        !started) {
        return std::unexpected(started.error());
    }
    return loyalty_.start(data, *loyalty_events_, partition_count);
}

void kafka_folds::wake() {
    stats_.wake();
    loyalty_.wake();
}

void kafka_folds::stop() {
    stats_.stop();   // answers the advisor's waiters, writes the stats' last checkpoint
    loyalty_.stop(); // every fold of the ledger is already written
}

std::int64_t kafka_folds::stats_lag() {
    auto const* store = stats_.store();
    if (store == nullptr) {
        return -1;
    }
    return lag_of(stats_events_.get(), [store](engine::partition_id p) { return store->next_offset(p); });
}

std::int64_t kafka_folds::loyalty_lag() {
    auto const* store = loyalty_.store();
    if (store == nullptr) {
        return -1;
    }
    return lag_of(loyalty_events_.get(), [store](engine::partition_id p) { return store->next_offset(p); });
}

std::optional<std::string> kafka_folds::problem(std::int64_t max_lag) {
    for (auto const& [what, lag] : {std::pair{"stats", stats_lag()}, std::pair{"loyalty ledger", loyalty_lag()}}) {
        if (lag < 0) {
            return fmt::format("the {} have not read salonq.events' ends yet: they may be behind", what);
        }
        if (lag > max_lag) {
            return fmt::format("the {} are {} events behind salonq.events (more than {})", what, lag, max_lag);
        }
    }
    return std::nullopt;
}

void kafka_folds::add_metrics(http::metrics& metrics) {
    metrics.gauge("salonq_stats_lag_events", "Kafka mode: events of salonq.events not yet in the stats (-1: unknown).",
                  [this] { return static_cast<double>(stats_lag()); });
    metrics.gauge("salonq_loyalty_lag_events",
                  "Kafka mode: events of salonq.events not yet in the loyalty ledger (-1: unknown).",
                  [this] { return static_cast<double>(loyalty_lag()); });
    metrics.gauge("salonq_stats_records_read", "Kafka mode: records of salonq.events the stats read since start.",
                  [this] { return static_cast<double>(stats_events_ ? stats_events_->records_read() : 0); });
    metrics.gauge("salonq_loyalty_records_read",
                  "Kafka mode: records of salonq.events the loyalty ledger read since start.",
                  [this] { return static_cast<double>(loyalty_events_ ? loyalty_events_->records_read() : 0); });
}

} // namespace salonq::api
