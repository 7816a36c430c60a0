#include "notify/run/notifier_service.hpp"

#include "engine/logging/logger.hpp"
#include "engine/runtime/thread_role.hpp"
#include "notify/deliver/signature.hpp"
#include "notify/deliver/webhook_client.hpp"

#include <fmt/format.h>

#include <random>

namespace salonq::notify {
namespace {

logging::logger const& log() {
    static logging::logger const l{"notify"};
    return l;
}

} // namespace

notifier_service::notifier_service(notify_store& store, engine::log::reader& events, service_options options)
    : store_(store), events_(&events), options_(std::move(options)), pacer_(options_.poll) {
    start();
}

notifier_service::notifier_service(notify_store& store, service_options options)
    : store_(store), events_(nullptr), options_(std::move(options)), pacer_(options_.poll) {
    start();
}

void notifier_service::start() {
    if (!options_.clock) {
        options_.clock = engine::wall_now;
    }
    if (events_ != nullptr) {
        threads_.emplace_back([this] {
            engine::runtime::set_thread_role("salonq-notify", engine::runtime::thread_role::background);
            consume();
        });
    }
    for (std::int32_t i = 0; i < std::max(1, options_.senders); ++i) {
        threads_.emplace_back([this] {
            engine::runtime::set_thread_role("salonq-send", engine::runtime::thread_role::background);
            send();
        });
    }
}

notifier_service::~notifier_service() { stop(); }

void notifier_service::wake() { pacer_.wake(); }

void notifier_service::queued() {
    {
        std::lock_guard lock{mutex_};
        ++new_work_;
    }
    sender_wake_.notify_all();
}

void notifier_service::stop() {
    {
        std::lock_guard lock{mutex_};
        stop_.store(true, std::memory_order_release);
    }
    pacer_.stop();
    sender_wake_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
    threads_.clear();
}

void notifier_service::consume() {
    logging::throttle failing; // a full disk fails every read: one line a minute
    while (!stopping()) {
        auto const started = engine::runtime::read_pacer::clock::now();
        auto caught = store_.catch_up(*events_, options_.clock());
        if (!caught) {
            log().throttled(logging::level::error, failing, caught.error(),
                            "the notifier could not fold the events log (retrying): " + caught.error());
        } else if (*caught) {
            {
                std::lock_guard lock{mutex_};
                ++new_work_;
            }
            sender_wake_.notify_all();
        }
        if (!pacer_.wait(started)) {
            return;
        }
    }
}

void notifier_service::send() {
    while (!stopping()) {
        std::uint64_t seen = 0;
        {
            std::lock_guard lock{mutex_};
            seen = new_work_; // before looking: work queued after this wakes the wait below
        }
        auto const due = store_.take_due(options_.clock(), 1);
        if (!due.empty()) {
            deliver(due.front());
            continue;
        }
        auto wait = options_.poll;
        if (auto const next = store_.next_due()) {
            wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*next - options_.clock()),
                              std::chrono::milliseconds{1}, options_.poll);
        }
        std::unique_lock lock{mutex_};
        sender_wake_.wait_for(lock, wait, [&] { return stopping() || new_work_ != seen; });
    }
}

void notifier_service::deliver(delivery const& d) {
    try {
        attempt(d);
    } catch (std::exception const& e) { // e.g. TLS set-up: a failed attempt, never the end of the process
        ++stats_.failed_attempts;
        log().error("notification {}: the attempt failed: {}", d.id, e.what());
        auto const why = std::string{to_string(post_errc::internal)};
        if (auto recorded = store_.failed(d.id, why, options_.clock() + options_.retry.cap); !recorded) {
            log().error("notification {}: the failed attempt could not be recorded: {}", d.id, recorded.error());
        }
    }
}

void notifier_service::attempt(delivery const& d) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    auto const settings = store_.settings(d.salon);
    auto result = std::expected<int, post_failure>{std::unexpected(post_failure{post_errc::no_webhook, ""})};
    if (settings) {
        if (auto url = parse_webhook_url(settings->url)) {
            auto const now_s =
                std::chrono::duration_cast<std::chrono::seconds>(options_.clock().time_since_epoch()).count();
            result = post_webhook(*url, d.body,
                                  {{"X-Salonq-Signature", sign(settings->secret, now_s, d.body)},
                                   {"Idempotency-Key", d.id},
                                   {"X-Salonq-Attempt", std::to_string(d.attempts + 1)}},
                                  post_options{options_.timeout, options_.allow_private});
        } else {
            result = std::unexpected(post_failure{post_errc::bad_address, url.error()});
        }
    }
    if (result && *result >= 200 && *result < 300) {
        if (auto done = store_.delivered(d.id); !done) {
            log().error("notification {} was delivered but could not be removed from the outbox: {}", d.id,
                        done.error());
        }
        ++stats_.delivered;
        return;
    }
    // What the salon's readers see is the class; the system's message (which names the server's network) is logged.
    auto const why = result ? failure_reason(*result) : std::string{to_string(result.error().code)};
    if (!result) {
        log().warn("notification {} to salon {}: attempt {} failed: {} ({})", d.id, d.salon.value(), d.attempts + 1,
                   why, result.error().detail);
    } else {
        log().warn("notification {} to salon {}: attempt {} failed: {}", d.id, d.salon.value(), d.attempts + 1, why);
    }
    auto policy = options_.retry;
    // No settings: in embedded mode none were ever put (nothing to deliver to); senders only (Kafka mode), they may
    // not have reached this instance from salonq.notify-settings yet, so the delivery waits with the default policy.
    policy.max_attempts = settings ? settings->max_attempts : events_ != nullptr ? 1 : options_.retry.max_attempts;
    auto const delay = policy.after_failure(d.attempts + 1, std::uniform_real_distribution<double>{0, 1}(random));
    auto const retry_at = delay ? std::optional{options_.clock() + *delay} : std::nullopt;
    ++stats_.failed_attempts;
    if (!retry_at) {
        ++stats_.dead;
        log().warn("notification {} is a dead letter after {} attempts: {}", d.id, d.attempts + 1, why);
    }
    if (auto recorded = store_.failed(d.id, why, retry_at); !recorded) {
        log().error("notification {}: the failed attempt could not be recorded: {}", d.id, recorded.error());
    }
}

} // namespace salonq::notify
