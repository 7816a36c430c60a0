#include "api/serve/kafka_stack.hpp"

#include "api/http/routes.hpp"
#include "api/serve/wiring.hpp"
#include "engine/kafka/admin.hpp"

#include <fmt/format.h>

namespace salonq::api {
namespace {

// The partition count salonq.commands and salonq.events agree on (the views are made for it).
[[nodiscard]] std::expected<std::int32_t, std::string> partitions_of(engine::kafka::settings const& s) {
    auto layout = engine::kafka::describe_topics(s);
    if (!layout) {
        return std::unexpected("cannot describe the topics: " + layout.error().message);
    }
    auto count = engine::kafka::check_layout(*layout);
    if (!count) {
        return std::unexpected(count.error().message);
    }
    return *count;
}

} // namespace

std::optional<std::string> kafka_stack::open_read_side() {
    auto const& opt = options_;
    auto partitions = partitions_of(opt.kafka);
    if (!partitions) {
        return partitions.error();
    }
    auto views = open_views(opt.data, *partitions, true); // with the outcome index the gateway reads
    if (!views) {
        return views.error();
    }
    views_ = std::move(*views);
    auto joins = std::make_shared<projections::join_board>(); // the views' join-time estimates, for the stats
    views_->post_joins_to(joins);
    hub_ = make_live_hub(*views_);
    auto feed = kafka_feed::open({.kafka = opt.kafka, .max_lag_events = opt.max_lag_events}, *views_, *hub_);
    if (!feed) {
        return "the queue views' reader of salonq.events: " + feed.error();
    }
    feed_ = std::move(*feed);
    if (auto started = folds_.start(opt.data, opt.kafka, *partitions, std::move(joins)); !started) {
        return started.error();
    }
    if (auto started = notify_.start(
            {.dir = opt.data / "notify-kafka", .kafka = opt.kafka, .instance = opt.instance, .service = opt.notify},
            *partitions);
        !started) {
        return started.error();
    }
    // What the views fold, the stats and the ledger can read now: they need not wait for their next poll.
    folds_woken_ = views_->subscribe([folds = &folds_](projections::change const& /*c*/) { folds->wake(); });
    // A rebuild reads salonq.events as the folds do, through a reader of its own (one thread each).
    auto events = [kafka = opt.kafka,
                   count = *partitions]() -> std::expected<std::shared_ptr<engine::log::reader>, std::string> {
        auto reader = events_reader(kafka, count, "rebuilds");
        if (!reader) {
            return std::unexpected(reader.error());
        }
        return std::shared_ptr<engine::log::reader>{std::move(*reader)};
    };
    rebuilder_ =
        make_rebuilder(std::move(events), opt.data, *partitions, true, {*views_, *folds_.stats(), *folds_.loyalty()});
    return std::nullopt;
}

std::expected<std::unique_ptr<kafka_stack>, std::string> kafka_stack::open(kafka_stack_options o) {
    std::unique_ptr<kafka_stack> s{new kafka_stack()};
    s->options_ = std::move(o);
    auto& opt = s->options_;
    if (auto failed = s->open_read_side()) {
        return std::unexpected(*failed);
    }
    auto gateway = kafka_gateway::open(
        {.kafka = opt.kafka,
         .read_side_problem = [folds = &s->folds_, max = opt.max_lag_events] { return folds->problem(max); }},
        *s->views_, *s->feed_);
    if (!gateway) {
        return std::unexpected("the producer of salonq.commands: " + gateway.error());
    }
    s->gateway_ = std::move(*gateway);
    auto revocations = kafka::topic_revocations::open(opt.kafka);
    if (!revocations) {
        return std::unexpected("the reader of salonq.revocations: " + revocations.error());
    }
    s->revocations_ = std::move(*revocations);

    auto auth = open_authenticator(opt.data, opt.keyring, s->revocations_.get());
    if (!auth) {
        return std::unexpected(auth.error());
    }
    s->auth_ = std::move(*auth);
    s->ports_ = make_services(opt.http, *s->gateway_, *s->auth_, s->metrics_, *s->hub_, *s->views_);
    s->ports_->stats = s->folds_.stats();
    s->ports_->staffing = s->folds_.staffing();
    s->ports_->loyalty = s->folds_.loyalty();
    s->ports_->notifications = s->notify_.store();
    s->ports_->webhook_allow_private = opt.notify.allow_private;
    s->ports_->publish_notification_settings = [notify = &s->notify_](engine::salon_id const& salon,
                                                                      notify::salon_settings const& settings) {
        return notify->publish(salon, settings);
    };
    s->ports_->projections = s->rebuilder_.get();
    s->add_gauges();
    auto server = http::server::open(opt.http, *s->ports_, http::served_routes());
    if (!server) {
        return std::unexpected(server.error());
    }
    s->server_ = std::move(*server);
    return s;
}

void kafka_stack::add_gauges() {
    add_live_gauge(metrics_, *hub_);
    metrics_.gauge("salonq_projection_lag_events", "Events in the log not yet in the queue views.",
                   [feed = feed_.get()] { return static_cast<double>(feed->lag()); });
    metrics_.gauge("salonq_projection_resumed_offset",
                   "Kafka mode: the sum of the salonq.events offsets the views resumed from at start.",
                   [feed = feed_.get()] { return static_cast<double>(feed->resumed_at()); });
    metrics_.gauge("salonq_projection_records_read", "Kafka mode: records of salonq.events read since start.",
                   [feed = feed_.get()] { return static_cast<double>(feed->records_read()); });
    folds_.add_metrics(metrics_);
    notify_.add_metrics(metrics_);
}

kafka_stack::~kafka_stack() {
    // run() has returned. A rebuild under way stops first (the stores serve on as they were, until they go). The feed
    // stops next (it joins its thread: a change already under way may still call the
    // gateway or wake the folds), then the folds stop, then the gateway answers its waiters while the server's
    // io_context (their timers') exists.
    rebuilder_.reset();
    feed_.reset();
    if (views_) {
        views_->unsubscribe(folds_woken_);
    }
    folds_.stop(); // the staffing advisor answers what waits while the server's io_context exists
    notify_.stop();
    gateway_.reset();
    server_.reset();
}

void kafka_stack::run(bool on_signals, std::function<void()> const& serving) { server_->run(on_signals, serving); }
void kafka_stack::stop() { server_->stop(); }
std::uint16_t kafka_stack::port() const noexcept { return server_->port(); }

} // namespace salonq::api
