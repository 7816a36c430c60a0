#include "notify/kafka/settings_topic.hpp"

#include "engine/codec/json_reader.hpp"
#include "engine/kafka/producer.hpp"
#include "engine/kafka/topic_tail.hpp"
#include "engine/logging/logger.hpp"
#include "notify/kafka/settings_reads.hpp"

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace salonq::notify {
namespace {

constexpr std::chrono::milliseconds settings_poll_wait{200};
constexpr std::size_t settings_poll_max = 1024;
constexpr int catch_up_limit = 3; // times the Kafka timeout, to read the topic to its end at the start

} // namespace

struct settings_topic::impl {
    notify_store& store;
    std::chrono::milliseconds timeout{};
    std::unique_ptr<engine::kafka::topic_tail> tail;
    std::unique_ptr<engine::kafka::record_producer> producer;
    logging::logger log{"notify"};
    std::mutex mutex;
    std::condition_variable read; // a batch of records was read (and what it could, put in the store)
    settings_reads reads;         // what publish() waits for; under mutex
    std::jthread thread;          // last: stops first

    explicit impl(notify_store& s) : store(s) {}

    // A salon's record read, and whether its settings are in the store now.
    struct taken {
        std::string salon;
        std::int64_t offset = 0;
        bool stored = false;
    };

    // One record into the store; a bad one is named by its offset only (its value holds a secret).
    [[nodiscard]] std::optional<taken> take(engine::log::record const& r, bool tombstone) {
        if (tombstone) {
            return std::nullopt; // nothing deletes settings today; a salon's last PUT stays
        }
        auto s = decode_settings(r.value);
        if (!engine::codec::is_valid_id(r.key) || !s) {
            log.warn("{} offset {}: not a salon's settings, passed over", engine::kafka::notify_settings_topic,
                     r.offset.value());
            return std::nullopt;
        }
        auto const salon = engine::salon_id{r.key};
        if (store.settings(salon) == *s) {
            return taken{r.key, r.offset.value(), true}; // read again at a start, or the same settings again
        }
        if (auto stored = store.put_settings(salon, *s); !stored) {
            // A PUT waiting for this record answers 503: the store (what a GET here shows) does not hold it.
            log.error("{} offset {}: {}", engine::kafka::notify_settings_topic, r.offset.value(), stored.error());
            return taken{r.key, r.offset.value(), false};
        }
        return taken{r.key, r.offset.value(), true};
    }

    void take_all(engine::kafka::topic_tail::polled const& polled) {
        std::vector<taken> batch;
        batch.reserve(polled.records.size());
        for (std::size_t i = 0; i < polled.records.size(); ++i) {
            if (auto t = take(polled.records[i], polled.tombstone[i])) {
                batch.push_back(std::move(*t));
            }
        }
        if (!polled.records.empty()) {
            std::lock_guard lock{mutex};
            for (auto const& t : batch) {
                reads.read(t.salon, t.offset, t.stored);
            }
            reads.passed(polled.records.back().offset.value() + 1);
            read.notify_all();
        }
    }

    [[nodiscard]] std::expected<void, std::string> poll_once() {
        auto polled = tail->poll(settings_poll_max, settings_poll_wait);
        if (!polled) {
            return std::unexpected(polled.error().message);
        }
        take_all(*polled);
        return {};
    }

    void run(std::stop_token const& stop) {
        while (!stop.stop_requested()) {
            if (auto polled = poll_once(); !polled) {
                log.error("{}", polled.error());
                std::this_thread::sleep_for(std::chrono::seconds{1});
            }
        }
    }
};

settings_topic::settings_topic(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
settings_topic::~settings_topic() { impl_->thread = {}; }

std::expected<std::unique_ptr<settings_topic>, std::string> settings_topic::open(engine::kafka::settings const& s,
                                                                                 notify_store& store) {
    auto i = std::make_unique<impl>(store);
    i->timeout = s.timeout;
    auto tail = engine::kafka::topic_tail::open(s, engine::kafka::notify_settings_topic, {});
    if (!tail) {
        return std::unexpected(tail.error().message);
    }
    i->tail = std::move(*tail);
    auto producer = engine::kafka::record_producer::open(s, engine::kafka::notify_settings_topic);
    if (!producer) {
        return std::unexpected(producer.error().message);
    }
    i->producer = std::move(*producer);
    // Every salon's settings before deriving or delivering: one missing would derive nothing for its salon.
    auto const read = i->tail->read_to_end([&](auto const& polled) { i->take_all(polled); },
                                           std::chrono::steady_clock::now() + catch_up_limit * s.timeout);
    if (!read) {
        return std::unexpected(read.error().message);
    }
    i->thread = std::jthread{[self = i.get()](std::stop_token const& stop) { self->run(stop); }};
    return std::unique_ptr<settings_topic>(new settings_topic(std::move(i)));
}

std::expected<void, std::string> settings_topic::publish(engine::salon_id const& salon, salon_settings const& s) {
    using written = engine::kafka::record_producer::delivered_at;
    auto delivered = std::make_shared<std::promise<written>>();
    auto result = delivered->get_future();
    auto produced = impl_->producer->produce(0, salon.value(), encode_settings(s), "notify_settings",
                                             [delivered](written const& at) { delivered->set_value(at); });
    if (!produced) {
        return std::unexpected(produced.error().message);
    }
    auto const deadline = std::chrono::steady_clock::now() + impl_->timeout; // for both waits: one HTTP thread's
    if (result.wait_until(deadline) != std::future_status::ready) {
        return std::unexpected(std::string{"the cluster did not take the settings in time"});
    }
    auto const at = result.get();
    if (!at) {
        return std::unexpected(at.error().message);
    }
    // Read back into this instance's store: the store holds the record's settings, or a later record's of the same
    // salon. Not "the store holds these settings": a PUT of the same salon on another instance landing just after
    // this one may have replaced them already. Without the record's offset (the delivery report did not say), that
    // comparison is all there is: a PUT landing just after this one then makes this one 503, though written.
    auto const offset = at->transform([](engine::offset_t o) { return o.value(); });
    auto stands = settings_reads::outcome::waiting;
    std::unique_lock lock{impl_->mutex};
    if (!impl_->read.wait_until(lock, deadline, [&] {
            stands = impl_->reads.of(salon.value(), offset, !offset && impl_->store.settings(salon) == s);
            return stands != settings_reads::outcome::waiting;
        })) {
        return std::unexpected(std::string{"the settings were sent but not read back in time"});
    }
    if (stands == settings_reads::outcome::not_stored) {
        return std::unexpected(std::string{"the settings were sent but this instance could not store them (see its "
                                           "log); a GET here shows what it had"});
    }
    return {};
}

std::optional<std::string> settings_topic::problem() const { return impl_->tail->problem(); }

} // namespace salonq::notify
