#include "api/gateway/kafka_gateway.hpp"

#include "api/gateway/outcome_waiters.hpp"
#include "engine/codec/command_codec.hpp"
#include "engine/kafka/producer.hpp"
#include "engine/log/partitioner.hpp"
#include "engine/logging/logger.hpp"

#include <fmt/format.h>

#include <thread>
#include <unordered_set>

namespace salonq::api {
namespace {

constexpr std::chrono::milliseconds expiry_period{250};

using found_outcome = std::expected<std::optional<engine::runtime::outcome>, gateway_error>;

void complete_all(std::vector<command_gateway::completion> const& done,
                  std::expected<engine::runtime::outcome, gateway_error> const& result) {
    for (auto const& d : done) {
        d(result);
    }
}

} // namespace

struct kafka_gateway::impl {
    kafka_gateway_options options;
    projections::queue_views& views;
    kafka_feed& feed;
    outcome_waiters waiters;
    std::unique_ptr<engine::kafka::record_producer> producer; // after waiters: its last deliveries touch them
    projections::subscription_id subscription = 0;
    logging::logger log{"gateway"};
    std::jthread expiry; // last: stops first

    impl(kafka_gateway_options o, projections::queue_views& v, kafka_feed& f)
        : options(std::move(o)), views(v), feed(f) {}

    // The command's outcome as the engine would still answer it for a command received at `now` (none once the
    // engine's dedupe window has passed: it decides that commandId anew).
    [[nodiscard]] found_outcome find(engine::salon_id const& salon, engine::command_id const& command,
                                     engine::instant now) const {
        auto found = views.outcome_of(salon, command, now);
        if (!found) {
            return std::unexpected(gateway_error{false, "the outcome index: " + found.error().message});
        }
        return std::move(*found);
    }

    // Completes the key's waiters if its outcome is in the index (or the index cannot be read).
    void settle(engine::salon_id const& salon, engine::command_id const& command, engine::instant now, bool duplicate) {
        auto const key = outcome_waiters::key(salon, command);
        if (!waiters.waiting(key)) {
            return;
        }
        auto found = find(salon, command, now);
        if (!found) {
            complete_all(waiters.take(key), std::unexpected(found.error()));
            return;
        }
        std::optional<engine::runtime::outcome>& decided = *found;
        if (!decided) {
            return; // not decided yet
        }
        decided->duplicate = duplicate;
        complete_all(waiters.take(key), *decided);
    }

    // The views applied a salon's entries: wake whoever waits for the commands they answer.
    void on_change(projections::change const& c) {
        if (waiters.empty()) {
            return;
        }
        std::unordered_set<std::string> causes;
        for (auto const& e : c.events) {
            causes.insert(e.cause.value());
        }
        for (auto const& r : c.rejections) {
            causes.insert(r.cause.value());
        }
        auto const now = options.clock();
        for (auto const& cause : causes) {
            settle(c.salon, engine::command_id{cause}, now, false);
        }
    }

    // The engine refused a command unread: whoever waits for it hears why now, not after the give-up time, and not
    // as "send it again" (the same message would be refused again).
    void refused(engine::codec::command_invalid const& r) {
        if (!r.command || waiters.empty()) {
            return;
        }
        auto const why =
            fmt::format("the engine refused it unread ({}: {})", engine::codec::to_string(r.why.code), r.why.message);
        // The waiter is keyed by the salon of the request's path, which is the salonId the command carries.
        if (r.salon) {
            complete_all(waiters.take(outcome_waiters::key(*r.salon, *r.command)),
                         std::unexpected(gateway_error{false, why}));
        }
    }

    void expire_waiters(std::stop_token const& stop) {
        while (!stop.stop_requested()) {
            std::this_thread::sleep_for(expiry_period);
            auto late = waiters.expire(outcome_waiters::clock::now());
            complete_all(late, std::unexpected(gateway_error{
                                   true, fmt::format("no decision within {} ms (is an engine worker running?)",
                                                     options.give_up.count())}));
        }
    }
};

kafka_gateway::kafka_gateway(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

kafka_gateway::~kafka_gateway() {
    impl_->expiry = {};
    impl_->views.unsubscribe(impl_->subscription);
    complete_all(impl_->waiters.take_all(), std::unexpected(gateway_error{true, "the api instance is stopping"}));
}

std::expected<std::unique_ptr<kafka_gateway>, std::string>
kafka_gateway::open(kafka_gateway_options options, projections::queue_views& views, kafka_feed& feed) {
    auto i = std::make_unique<impl>(std::move(options), views, feed);
    auto producer = engine::kafka::record_producer::open(i->options.kafka, engine::kafka::commands_topic);
    if (!producer) {
        return std::unexpected(producer.error().message);
    }
    i->producer = std::move(*producer);
    i->subscription = views.subscribe([self = i.get()](projections::change const& c) { self->on_change(c); });
    feed.on_invalid([self = i.get()](engine::codec::command_invalid const& r) { self->refused(r); });
    i->expiry = std::jthread{[self = i.get()](std::stop_token const& stop) { self->expire_waiters(stop); }};
    return std::unique_ptr<kafka_gateway>(new kafka_gateway(std::move(i)));
}

void kafka_gateway::submit(engine::command c, completion done) {
    auto& s = *impl_;
    // Decided before (a retry, or a POST of an Idempotency-Key already used): the original outcome, nothing sent.
    auto found = s.find(c.salon, c.id, c.received_at);
    if (!found) {
        done(std::unexpected(found.error()));
        return;
    }
    if (std::optional<engine::runtime::outcome>& decided = *found; decided) {
        decided->duplicate = true;
        done(std::move(*decided));
        return;
    }
    auto const key = outcome_waiters::key(c.salon, c.id);
    s.waiters.add(key, std::move(done), outcome_waiters::clock::now() + s.options.give_up);
    s.settle(c.salon, c.id, c.received_at, true); // applied between the look-up and the wait
    auto const partition = engine::log::partition_for(c.salon.value(), s.views.partition_count());
    auto produced = s.producer->produce(
        partition, c.salon.value(), engine::codec::encode_client_command(c), engine::type_name(c.body),
        [self = impl_.get(), key](engine::kafka::record_producer::delivered_at const& written) {
            if (!written) {
                complete_all(self->waiters.take(key), std::unexpected(gateway_error{true, written.error().message}));
            }
        });
    if (!produced) {
        complete_all(s.waiters.take(key), std::unexpected(gateway_error{true, produced.error().message}));
    }
}

std::expected<std::optional<engine::runtime::outcome>, gateway_error>
kafka_gateway::outcome_of(engine::salon_id const& salon, engine::command_id const& command) {
    return impl_->find(salon, command, impl_->options.clock());
}

std::optional<std::string> kafka_gateway::not_ready() {
    if (auto p = impl_->producer->problem()) {
        return p;
    }
    if (auto p = impl_->feed.problem()) {
        return p;
    }
    return impl_->options.read_side_problem ? impl_->options.read_side_problem() : std::nullopt;
}

} // namespace salonq::api
