#include "notify/kafka/intake.hpp"

#include "engine/kafka/group_consumer.hpp"
#include "engine/logging/logger.hpp"
#include "notify/deliver/payload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace salonq::notify {
namespace {

namespace lk = engine::kafka;
constexpr std::size_t intake_poll_max = 1000;
constexpr std::chrono::milliseconds intake_poll_wait{200};

} // namespace

struct kafka_intake::impl final : lk::partition_listener {
    intake_options options;
    notify_store& store;
    std::function<void()> queued;
    intake_stats stats;
    logging::logger log;
    std::unique_ptr<lk::group_consumer> consumer;
    mutable std::mutex problem_mutex;
    std::optional<std::string> problem; // under problem_mutex
    std::stop_source stopping;          // stop(): a take-over in the middle gives up
    std::jthread thread;                // last: stops first

    impl(intake_options o, notify_store& s, std::function<void()> q)
        : options(std::move(o)), store(s), queued(std::move(q)),
          log("notify", {logging::kv("instance", options.instance)}) {}

    [[nodiscard]] std::expected<std::int64_t, lk::error> assigned(std::int32_t p, std::int64_t committed) override {
        if (p < 0 || p >= store.partition_count()) { // partitions added to the topic after the start
            return std::unexpected(lk::error{lk::errc::misconfigured, partitions_differ(p + 1)});
        }
        return std::max(committed, store.next_offset(engine::partition_id{p}).value());
    }
    [[nodiscard]] std::string partitions_differ(std::int32_t topic) const {
        return fmt::format("{} has {} partitions and the outbox {} (those of {}): they must agree",
                           lk::notifications_topic, topic, store.partition_count(), lk::events_topic);
    }
    void revoked(std::int32_t /*p*/) override {} // what was taken in stays in the outbox and is delivered from here

    // One record as a delivery due now; a record that is no notification is named by its place only.
    [[nodiscard]] std::optional<delivery> delivery_of(engine::log::record const& r) const {
        auto n = decode_notification(r.value);
        if (!n || n->salon.value() != r.key) {
            log.warn("{} partition {} offset {}: not a notification, passed over", lk::notifications_topic,
                     r.partition.value(), r.offset.value());
            return std::nullopt;
        }
        return delivery{n->id, n->salon, r.value, 0, options.clock(), {}};
    }

    // A batch read but not yet durable in the outbox: taken in again before anything else is read, a second
    // later, up to max_failed_takes times; then it is given up with the partitions (the group is left).
    std::vector<delivery> incoming;
    std::map<std::int32_t, std::int64_t> next;
    int failed_takes = 0;
    static constexpr int max_failed_takes = 30;

    [[nodiscard]] std::expected<void, std::string> read() {
        auto records = consumer->poll(intake_poll_max, intake_poll_wait);
        if (!records) {
            consumer.reset(); // leaves the group (its partitions move on); joined again at the next step
            return std::unexpected(records.error().message);
        }
        for (auto const& r : *records) {
            next[r.partition.value()] = r.offset.value() + 1;
            if (auto d = delivery_of(r)) {
                incoming.push_back(std::move(*d));
            }
        }
        stats.read.fetch_add(records->size(), std::memory_order_relaxed);
        return {};
    }

    [[nodiscard]] std::expected<void, std::string> join() {
        auto c =
            lk::group_consumer::open({options.kafka, options.group, lk::notifications_topic, options.session_timeout,
                                      lk::group_consumer_options::handover::eager, stopping.get_token()},
                                     *this);
        if (!c) {
            return std::unexpected("the consumer of salonq.notifications: " + c.error().message);
        }
        if ((*c)->partition_count() != store.partition_count()) {
            return std::unexpected(partitions_differ((*c)->partition_count()));
        }
        consumer = std::move(*c);
        return {};
    }

    [[nodiscard]] std::expected<void, std::string> step() {
        if (!consumer) {
            return join();
        }
        if (next.empty()) {
            if (auto got = read(); !got || next.empty()) {
                return got;
            }
        }
        auto joined = store.take_in(incoming, next);
        if (!joined) {
            if (++failed_takes == max_failed_takes) { // not polling that long would put it out of the group anyway
                incoming.clear();
                next.clear();
                consumer.reset(); // its partitions move on from the committed offsets; joined again at the next step
                failed_takes = 0;
            }
            return std::unexpected(joined.error()); // kept: taken in again at the next step
        }
        failed_takes = 0;
        stats.joined.fetch_add(*joined, std::memory_order_relaxed);
        if (*joined > 0) {
            queued();
        }
        // Durable in the outbox: the group may move on. A commit refused (a rebalance under way) is owed: made good
        // by the next one, or when the group takes the partition away, before the next owner reads it (and the
        // offsets stored with the outbox keep this instance from taking the records in twice).
        auto committed = consumer->commit(next);
        incoming.clear();
        next.clear();
        if (!committed) {
            log.warn("{}", committed.error().message);
        }
        return {};
    }

    void set_problem(std::optional<std::string> p) {
        std::lock_guard lock{problem_mutex};
        problem = std::move(p);
    }

    void run(std::stop_token const& stop) {
        while (!stop.stop_requested()) {
            auto done = step();
            set_problem(done ? std::nullopt : std::optional{"taking notifications in: " + done.error()});
            if (!done) {
                log.error("taking notifications in (retrying): {}", done.error());
                std::this_thread::sleep_for(std::chrono::seconds{1});
            }
        }
    }
};

kafka_intake::kafka_intake(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

kafka_intake::~kafka_intake() { stop(); }

void kafka_intake::stop() {
    impl_->stopping.request_stop();
    impl_->thread = {}; // joins
    impl_->consumer.reset();
}

std::expected<std::unique_ptr<kafka_intake>, std::string>
kafka_intake::open(intake_options options, notify_store& store, std::function<void()> queued) {
    if (!options.clock) {
        options.clock = engine::wall_now;
    }
    auto i = std::make_unique<impl>(std::move(options), store, std::move(queued));
    if (auto joined = i->join(); !joined) {
        return std::unexpected(joined.error());
    }
    i->thread = std::jthread{[self = i.get()](std::stop_token const& stop) { self->run(stop); }};
    return std::unique_ptr<kafka_intake>(new kafka_intake(std::move(i)));
}

intake_stats const& kafka_intake::stats() const noexcept { return impl_->stats; }

std::optional<std::string> kafka_intake::problem() const {
    std::lock_guard lock{impl_->problem_mutex};
    return impl_->problem;
}

} // namespace salonq::notify
