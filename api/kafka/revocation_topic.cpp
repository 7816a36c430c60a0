#include "api/kafka/revocation_topic.hpp"

#include "engine/kafka/producer.hpp"
#include "engine/kafka/topic_tail.hpp"
#include "engine/logging/logger.hpp"

#include <fmt/format.h>

#include <charconv>
#include <future>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

namespace salonq::api::kafka {
namespace {

constexpr std::chrono::milliseconds poll_wait{200};
constexpr std::size_t poll_max = 1024;
constexpr int catch_up_limit = 3; // times the Kafka timeout, to read the topic to its end at the start

std::optional<std::int64_t> parse_seconds(std::string_view text) {
    std::int64_t v = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc{} && end == text.data() + text.size() ? std::optional{v} : std::nullopt;
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

std::expected<void, std::string> produce_revocation(engine::kafka::settings const& s, std::string_view jti,
                                                    std::chrono::sys_seconds until) {
    auto producer = engine::kafka::record_producer::open(s, engine::kafka::revocations_topic);
    if (!producer) {
        return std::unexpected(producer.error().message);
    }
    std::promise<std::optional<engine::kafka::error>> delivered;
    auto result = delivered.get_future();
    auto produced =
        (*producer)->produce(0, jti, std::to_string(until.time_since_epoch().count()), "token_revoked",
                             [&delivered](engine::kafka::record_producer::delivered_at const& written) {
                                 delivered.set_value(written ? std::nullopt : std::optional{written.error()});
                             });
    if (!produced) {
        return std::unexpected(produced.error().message);
    }
    if (auto flushed = (*producer)->flush(s.timeout); !flushed) {
        return std::unexpected(flushed.error().message);
    }
    if (auto failed = result.get()) {
        return std::unexpected(failed->message);
    }
    return {};
}

struct topic_revocations::impl {
    std::unique_ptr<engine::kafka::topic_tail> tail;
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, std::int64_t> entries; // jti -> expiry (seconds); under mutex
    logging::logger log{"revocations"};
    std::jthread thread; // last: stops first

    void take(engine::kafka::topic_tail::polled const& polled) {
        auto const now = now_seconds();
        std::unique_lock lock{mutex};
        for (std::size_t i = 0; i < polled.records.size(); ++i) {
            auto const& r = polled.records[i];
            auto const until = parse_seconds(r.value);
            if (polled.tombstone[i] || (until && *until < now)) {
                entries.erase(r.key);
            } else if (until && auth::valid_jti(r.key)) {
                entries[r.key] = *until;
            } else {
                // The record is not shown: a key that is not a jti might be a token pasted by mistake.
                log.warn("salonq.revocations offset {}: not a revocation (key: a jti, value: expiry seconds)",
                         r.offset.value());
            }
        }
    }

    void run(std::stop_token const& stop) {
        while (!stop.stop_requested()) {
            auto polled = tail->poll(poll_max, poll_wait);
            if (!polled) {
                log.error("{}", polled.error().message);
                std::this_thread::sleep_for(std::chrono::seconds{1});
                continue;
            }
            take(*polled);
        }
    }
};

topic_revocations::topic_revocations(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
topic_revocations::~topic_revocations() { impl_->thread = {}; }

std::expected<std::unique_ptr<topic_revocations>, std::string>
topic_revocations::open(engine::kafka::settings const& s) {
    auto i = std::make_unique<impl>();
    auto tail = engine::kafka::topic_tail::open(s, engine::kafka::revocations_topic, {});
    if (!tail) {
        return std::unexpected(tail.error().message);
    }
    i->tail = std::move(*tail);
    // What was revoked before this instance started is known before it serves: read up to the end first.
    auto const read = i->tail->read_to_end([&](auto const& polled) { i->take(polled); },
                                           std::chrono::steady_clock::now() + catch_up_limit * s.timeout);
    if (!read) {
        return std::unexpected(read.error().message);
    }
    i->thread = std::jthread{[self = i.get()](std::stop_token const& stop) { self->run(stop); }};
    return std::unique_ptr<topic_revocations>(new topic_revocations(std::move(i)));
}

bool topic_revocations::revoked(std::string_view jti) const {
    std::shared_lock lock{impl_->mutex};
    return impl_->entries.contains(std::string{jti});
}

std::expected<void, auth::error> topic_revocations::refresh() {
    if (auto p = impl_->tail->problem()) {
        return std::unexpected(auth::error{auth::errc::io_error, *p});
    }
    return {};
}

} // namespace salonq::api::kafka
