#include "notify/kafka/deriver.hpp"

#include "engine/codec/event_codec.hpp"
#include "engine/kafka/admin.hpp"
#include "engine/kafka/group_consumer.hpp"
#include "engine/kafka/topic_log_reader.hpp"
#include "engine/kafka/transactional_producer.hpp"
#include "engine/logging/logger.hpp"
#include "engine/runtime/consumer_offsets.hpp"
#include "notify/deliver/payload.hpp"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <thread>

namespace salonq::notify {
namespace {

namespace lk = engine::kafka;
constexpr std::size_t rebuild_read = 4096;
constexpr std::chrono::milliseconds deriver_poll_wait{100};

// A notification goes to the partition number of its event: the topics must agree.
[[nodiscard]] std::expected<void, std::string> same_partitions(lk::settings const& s) {
    auto events = lk::partitions_of(s, lk::events_topic);
    auto told = lk::partitions_of(s, lk::notifications_topic);
    if (!events || !told) {
        return std::unexpected((!events ? events : told).error().message);
    }
    if (*events != *told) {
        return std::unexpected(fmt::format("{} has {} partitions and {} {}: they must agree (salonq topics create)",
                                           lk::notifications_topic, *told, lk::events_topic, *events));
    }
    return {};
}

} // namespace

struct kafka_deriver::impl final : lk::partition_listener {
    // A salon's notifier and the partition it belongs to (what a revoked partition takes away).
    struct held {
        std::int32_t partition = 0;
        salon_notifier notifier;
    };

    deriver_options options;
    notify_store const& settings;
    deriver_stats stats;
    logging::logger log;
    std::unique_ptr<lk::topic_log_reader> events; // rebuilds
    std::unique_ptr<lk::group_consumer> consumer;
    std::unique_ptr<lk::transactional_producer> producer;
    std::map<std::string, held, std::less<>> notifiers; // only the deriving thread (callbacks run inside its poll)
    mutable std::mutex problem_mutex;
    std::optional<std::string> problem; // under problem_mutex
    std::stop_source stopping;          // stop(): a take-over in the middle gives up
    std::jthread thread;                // last: stops first

    impl(deriver_options o, notify_store const& s)
        : options(std::move(o)), settings(s), log("notify", {logging::kv("instance", options.instance)}) {}

    [[nodiscard]] notify_rules rules_of(engine::salon_id const& salon) const {
        auto const s = settings.settings(salon);
        return s ? s->rules : notify_rules{};
    }

    // Taking p over: its notifiers are folded from the partition's start up to what the group has committed, without
    // emitting (what they derived is in the topic already, or was for a salon without settings then).
    [[nodiscard]] std::expected<std::int64_t, lk::error> assigned(std::int32_t p, std::int64_t committed) override {
        auto const started = std::chrono::steady_clock::now();
        revoked(p); // nothing of an earlier ownership is kept: the fold below is the whole state
        auto from = engine::offset_t{0};
        std::uint64_t folded = 0;
        while (from.value() < committed) {
            if (stopping.stop_requested()) {
                return std::unexpected(lk::error{lk::errc::retryable, "stopping"});
            }
            auto run = engine::runtime::read_decoded(*events, engine::partition_id{p}, from,
                                                     engine::offset_t{committed}, rebuild_read, nullptr);
            if (!run) {
                return std::unexpected(
                    lk::error{lk::errc::retryable, fmt::format("rebuilding partition {}: {}", p, run.error().message)});
            }
            for (auto const& [offset, entry] : run->entries) {
                auto const* e = std::get_if<engine::event>(&entry);
                if (e != nullptr && offset.value() < committed) {
                    auto& h = notifiers.try_emplace(e->salon.value(), held{p, {}}).first->second;
                    (void)h.notifier.apply(*e, rules_of(e->salon));
                    ++folded;
                }
            }
            if (run->end.value() == from.value()) {
                break; // only markers up to the committed offset
            }
            from = run->end;
        }
        stats.rebuilt_events.fetch_add(folded, std::memory_order_relaxed);
        log.info(
            "partition {} taken over: {} events folded up to offset {} in {} ms", p, folded, committed,
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
        return committed;
    }

    void revoked(std::int32_t p) override {
        std::erase_if(notifiers, [p](auto const& kv) { return kv.second.partition == p; });
    }

    // One batch: folded, its notifications produced with its offsets in one transaction. On an abort the notifiers
    // it touched are put back (the owner rewinds the consumer to the committed offsets).
    [[nodiscard]] std::expected<void, lk::error> derive(std::vector<engine::log::record> const& records) {
        std::map<std::string, std::optional<held>, std::less<>> before;
        std::vector<lk::outgoing_record> out;
        std::map<std::int32_t, std::int64_t> next;
        std::uint64_t folded = 0;
        for (auto const& r : records) {
            next[r.partition.value()] = r.offset.value() + 1;
            auto entry = engine::codec::decode_entry(r.value);
            auto const* e = entry ? std::get_if<engine::event>(&*entry) : nullptr;
            if (e == nullptr) {
                continue; // a rejection, or a record that is no salon's entry (command_invalid answers)
            }
            if (!before.contains(e->salon.value())) { // a salon's state before the batch, copied once
                auto const found = notifiers.find(e->salon.value());
                before.emplace(e->salon.value(),
                               found == notifiers.end() ? std::nullopt : std::optional<held>{found->second});
            }
            auto& h = notifiers.try_emplace(e->salon.value(), held{r.partition.value(), {}}).first->second;
            auto const s = settings.settings(e->salon);
            auto const told = h.notifier.apply(*e, s ? s->rules : notify_rules{});
            ++folded;
            if (s) {
                for (auto const& t : told) {
                    out.push_back(lk::outgoing_record{r.partition.value(), e->salon.value(), encode_notification(t),
                                                      "notification"});
                }
            }
        }
        auto committed = producer->commit(lk::notifications_topic, out, *consumer, next);
        if (!committed) {
            if (committed.error().code == lk::errc::retryable) { // aborted; the others end the producer
                stats.aborts.fetch_add(1, std::memory_order_relaxed);
            }
            put_back(before);
            return std::unexpected(committed.error());
        }
        stats.transactions.fetch_add(1, std::memory_order_relaxed);
        stats.events.fetch_add(folded, std::memory_order_relaxed);
        stats.notifications.fetch_add(out.size(), std::memory_order_relaxed);
        return {};
    }

    void put_back(std::map<std::string, std::optional<held>, std::less<>>& before) {
        for (auto& [salon, h] : before) {
            if (h) {
                notifiers.insert_or_assign(salon, std::move(*h));
            } else {
                notifiers.erase(salon);
            }
        }
    }

    void set_problem(std::optional<std::string> p) {
        std::lock_guard lock{problem_mutex};
        problem = std::move(p);
    }

    // The producer (its transactional.id aborts what an earlier run left open) and the group membership.
    [[nodiscard]] std::expected<void, std::string> join() {
        auto p = lk::transactional_producer::open(options.kafka, options.group + "-" + options.instance);
        if (!p) {
            return std::unexpected("the producer of salonq.notifications: " + p.error().message);
        }
        producer = std::move(*p);
        auto c = lk::group_consumer::open({options.kafka, options.group, lk::events_topic, options.session_timeout,
                                           lk::group_consumer_options::handover::cooperative, stopping.get_token()},
                                          *this);
        if (!c) {
            return std::unexpected("the consumer of salonq.events: " + c.error().message);
        }
        consumer = std::move(*c);
        return {};
    }

    // A failure a rewind does not mend (fenced, a take-over that failed): leave the group, so the partitions move on
    // at once, and join again after a pause (the take-over folds them again).
    void leave(std::string const& why) {
        log.error("the notifier's deriver leaves the group and joins again: {}", why);
        set_problem("deriving notifications: " + why);
        consumer.reset();
        producer.reset();
        notifiers.clear();
        std::this_thread::sleep_for(std::chrono::seconds{1});
    }

    void step(std::stop_token const& stop) {
        if (!consumer) {
            if (auto joined = join(); !joined) {
                leave(joined.error());
            }
            return;
        }
        auto records = consumer->poll(options.max_batch, deriver_poll_wait);
        if (!records) {
            leave(records.error().message);
            return;
        }
        if (records->empty()) {
            return;
        }
        auto done = derive(*records);
        if (done) {
            set_problem(std::nullopt);
            return;
        }
        if (done.error().code == lk::errc::fenced) { // a newer producer of the same transactional.id, or fatal
            leave(fmt::format("{} (fenced: is another process running with --instance {}?)", done.error().message,
                              options.instance));
            return;
        }
        if (done.error().code != lk::errc::retryable) {
            leave(done.error().message);
            return;
        }
        log.warn("a batch of notifications was given up, deriving it again: {}", done.error().message);
        set_problem("deriving notifications: " + done.error().message);
        while (!stop.stop_requested() && !consumer->rewind()) {
            std::this_thread::sleep_for(std::chrono::milliseconds{500}); // the cluster is not answering yet
        }
    }

    void run(std::stop_token const& stop) {
        while (!stop.stop_requested()) {
            step(stop);
        }
    }
};

kafka_deriver::kafka_deriver(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

kafka_deriver::~kafka_deriver() { stop(); }

void kafka_deriver::stop() {
    impl_->stopping.request_stop();
    impl_->thread = {}; // joins: no batch is in flight after this
    impl_->consumer.reset();
}

std::expected<std::unique_ptr<kafka_deriver>, std::string> kafka_deriver::open(deriver_options options,
                                                                               notify_store const& settings) {
    auto i = std::make_unique<impl>(std::move(options), settings);
    auto const& o = i->options;
    if (auto same = same_partitions(o.kafka); !same) {
        return std::unexpected(same.error());
    }
    auto events = lk::topic_log_reader::open(o.kafka, lk::events_topic);
    if (!events) {
        return std::unexpected("the reader of salonq.events: " + events.error().message);
    }
    i->events = std::move(*events);
    if (auto joined = i->join(); !joined) {
        return std::unexpected(joined.error());
    }
    i->thread = std::jthread{[self = i.get()](std::stop_token const& stop) { self->run(stop); }};
    return std::unique_ptr<kafka_deriver>(new kafka_deriver(std::move(i)));
}

deriver_stats const& kafka_deriver::stats() const noexcept { return impl_->stats; }

std::optional<std::string> kafka_deriver::problem() const {
    std::lock_guard lock{impl_->problem_mutex};
    return impl_->problem;
}

} // namespace salonq::notify
