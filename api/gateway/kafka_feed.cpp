#include "api/gateway/kafka_feed.hpp"

#include "api/gateway/live_bridge.hpp"
#include "engine/kafka/topic_tail.hpp"
#include "engine/logging/logger.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <numeric>
#include <thread>

namespace salonq::api {
namespace {

// The records of one poll as a log reader, for queue_views::catch_up: a partition ends after its last record
// polled (or where the views are, when none was).
class polled_reader final : public engine::log::reader {
public:
    polled_reader(std::vector<engine::log::record> records, projections::queue_views const& views)
        : by_partition_(static_cast<std::size_t>(views.partition_count())), views_(views) {
        for (auto& r : records) {
            by_partition_[static_cast<std::size_t>(r.partition.value())].push_back(std::move(r));
        }
    }
    [[nodiscard]] std::int32_t partition_count() const override { return views_.partition_count(); }
    [[nodiscard]] std::expected<std::vector<engine::log::record>, engine::log::error>
    read(engine::partition_id p, engine::offset_t from, std::size_t max) override {
        std::vector<engine::log::record> out;
        for (auto const& r : by_partition_[static_cast<std::size_t>(p.value())]) {
            if (r.offset.value() >= from.value() && out.size() < max) {
                out.push_back(r);
            }
        }
        return out;
    }
    [[nodiscard]] std::expected<engine::offset_t, engine::log::error> end_offset(engine::partition_id p) override {
        auto const& records = by_partition_[static_cast<std::size_t>(p.value())];
        return records.empty() ? views_.next_offset(p) : engine::offset_t{records.back().offset.value() + 1};
    }

private:
    std::vector<std::vector<engine::log::record>> by_partition_;
    projections::queue_views const& views_;
};

// The views' next offsets as the topic tail takes them.
std::vector<std::int64_t> raw_next_offsets(projections::queue_views const& views) {
    std::vector<std::int64_t> next;
    for (auto const offset : views.next_offsets()) {
        next.push_back(offset.value());
    }
    return next;
}

} // namespace

struct kafka_feed::impl {
    kafka_feed_options options;
    projections::queue_views& views;
    std::unique_ptr<engine::kafka::topic_tail> tail;
    projections::subscription_id subscription = 0;
    logging::logger log{"feed"};
    mutable std::mutex problem_mutex;
    std::optional<std::string> fold_problem; // under problem_mutex
    std::mutex invalid_mutex;
    std::function<void(engine::codec::command_invalid const&)> invalid_heard; // under invalid_mutex
    std::jthread thread;                                                      // last: stops first

    impl(kafka_feed_options o, projections::queue_views& v) : options(std::move(o)), views(v) {}

    void run(std::stop_token const& stop, std::atomic<std::uint64_t>& read) {
        while (!stop.stop_requested()) {
            auto polled = tail->poll(options.max_batch, options.poll_wait);
            if (!polled) {
                set_problem(polled.error().message);
                log.error("reading salonq.events: {}", polled.error().message);
                std::this_thread::sleep_for(std::chrono::seconds{1});
                continue;
            }
            if (polled->records.empty()) {
                continue;
            }
            read += polled->records.size();
            tell_invalid(polled->records);
            polled_reader reader{std::move(polled->records), views};
            if (auto caught = views.catch_up(reader); !caught) {
                set_problem("the queue views could not fold salonq.events: " + caught.error().message);
                log.error("the queue views could not fold salonq.events: {}; reading again from their offsets",
                          caught.error().message);
                std::this_thread::sleep_for(std::chrono::seconds{1});
                rewind();
            } else {
                set_problem(std::nullopt);
            }
        }
    }
    void tell_invalid(std::vector<engine::log::record> const& records) {
        std::scoped_lock lock{invalid_mutex};
        if (!invalid_heard) {
            return;
        }
        for (auto const& r : records) {
            if (!r.value.starts_with(R"({"type":"command_invalid")")) {
                continue; // the codec writes the type first: the common case costs a prefix compare
            }
            if (auto invalid = engine::codec::decode_command_invalid(r.value); invalid && invalid->command) {
                invalid_heard(*invalid);
            }
        }
    }
    // Back to the views' offsets: what was polled but not stored is read again, never skipped.
    void rewind() {
        if (auto rewound = tail->rewind(raw_next_offsets(views)); !rewound) {
            log.error("{}", rewound.error().message);
        }
    }
    void set_problem(std::optional<std::string> p) {
        std::scoped_lock lock{problem_mutex};
        fold_problem = std::move(p);
    }
};

kafka_feed::kafka_feed(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

kafka_feed::~kafka_feed() {
    impl_->thread = {}; // requests stop, joins
    impl_->views.unsubscribe(impl_->subscription);
}

std::expected<std::unique_ptr<kafka_feed>, std::string>
kafka_feed::open(kafka_feed_options options, projections::queue_views& views, http::live_hub& hub) {
    auto i = std::make_unique<impl>(std::move(options), views);
    auto const start = raw_next_offsets(views);
    std::int64_t const resumed = std::accumulate(start.begin(), start.end(), std::int64_t{0});
    auto tail = engine::kafka::topic_tail::open(i->options.kafka, engine::kafka::events_topic, start);
    if (!tail) {
        return std::unexpected(tail.error().message);
    }
    i->tail = std::move(*tail);
    i->subscription = publish_changes(views, hub);
    i->log.info("the queue views resume salonq.events at offset sum {} over {} partitions", resumed, start.size());
    std::unique_ptr<kafka_feed> feed{new kafka_feed(std::move(i))};
    feed->resumed_at_ = resumed;
    feed->impl_->thread = std::jthread{[self = feed->impl_.get(), read = &feed->records_read_](
                                           std::stop_token const& stop) { self->run(stop, *read); }};
    return feed;
}

std::int64_t kafka_feed::lag() const {
    auto const ends = impl_->tail->end_offsets();
    std::int64_t lag = 0;
    for (std::size_t p = 0; p < ends.size(); ++p) {
        if (ends[p] < 0) {
            return -1;
        }
        auto const next = impl_->views.next_offset(engine::partition_id{static_cast<std::int32_t>(p)}).value();
        lag += std::max<std::int64_t>(0, ends[p] - next);
    }
    return lag;
}

std::optional<std::string> kafka_feed::problem() const {
    if (auto p = impl_->tail->problem()) {
        return p;
    }
    {
        std::scoped_lock lock{impl_->problem_mutex};
        if (impl_->fold_problem) {
            return impl_->fold_problem;
        }
    }
    auto const l = lag();
    if (l < 0) {
        return "the brokers have not reported salonq.events' ends yet: the queue views may be behind";
    }
    if (l > impl_->options.max_lag_events) {
        return fmt::format("the queue views are {} events behind salonq.events (more than {})", l,
                           impl_->options.max_lag_events);
    }
    return std::nullopt;
}

void kafka_feed::on_invalid(std::function<void(engine::codec::command_invalid const&)> heard) {
    std::scoped_lock lock{impl_->invalid_mutex};
    impl_->invalid_heard = std::move(heard);
}

} // namespace salonq::api
